#include "app/cli.h"

int main(int argc, char** argv) {
  return duplex::RunCli(argc, argv);
}
