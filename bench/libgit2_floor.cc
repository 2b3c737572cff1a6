// ferry_libgit2_floor: a process that only loads libgit2 and initialises it, then exits. Any
// command that reads git through libgit2 pays at least this (the libraries' loading and
// relocation, and git_libgit2_init(), which parses the system CA bundle for mbedTLS). 30-source-
// render.sh times it beside `helm template` to show the floor under `ferry render`.
#include <git2.h>

int main() {
  git_libgit2_init();
  return 0;
}
