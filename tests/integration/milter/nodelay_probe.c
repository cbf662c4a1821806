/* nodelay_probe.c — LD_PRELOAD probe for test_milter_protocol.sh.
 *
 * libmilter gives the filter no access to its sockets, so this shim looks
 * from inside the process: after every accept()/accept4() it reads
 * TCP_NODELAY of the accepted socket and appends "accept nodelay=N" to the
 * file named by LEGIT_PROBE_LOG (N is getsockopt's value, 0 = Nagle on).
 * With LEGIT_PROBE_BLOCK_NODELAY=1 it also swallows setsockopt(TCP_NODELAY)
 * (returns success without setting it): the negative control that shows the
 * timing check notices the ~40 ms Nagle/delayed-ACK stall.
 * Bad input: a missing LEGIT_PROBE_LOG just disables logging.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void probe(int fd) {
  const char *path = getenv("LEGIT_PROBE_LOG");
  int v = -1;
  socklen_t len = sizeof v;
  if (fd < 0 || !path) return;
  if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) != 0) return; /* not TCP */
  FILE *f = fopen(path, "a");
  if (!f) return;
  fprintf(f, "accept nodelay=%d\n", v);
  fclose(f);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len) {
  static int (*real)(int, struct sockaddr *, socklen_t *);
  if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
  int r = real(fd, addr, len);
  probe(r);
  return r;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  static int (*real)(int, struct sockaddr *, socklen_t *, int);
  if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
  int r = real(fd, addr, len, flags);
  probe(r);
  return r;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
  static int (*real)(int, int, int, const void *, socklen_t);
  if (!real) real = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
  const char *block = getenv("LEGIT_PROBE_BLOCK_NODELAY");
  if (level == IPPROTO_TCP && name == TCP_NODELAY && block && strcmp(block, "1") == 0) return 0;
  return real(fd, level, name, val, len);
}
