// main.cc — doctest's entry point for the unit test binary. Unit tests never
// read the host's /etc/legit-milter.conf: LEGIT_MILTER_CONF is set to ""
// (no default file) unless a test sets it itself.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  ::setenv("LEGIT_MILTER_CONF", "", 1);
  return doctest::Context(argc, argv).run();
}
