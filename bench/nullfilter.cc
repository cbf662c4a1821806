// nullfilter.cc — the protocol floor of any libmilter filter, for bench/:
// every callback returns SMFIS_CONTINUE (end-of-message: SMFIS_ACCEPT), no
// step negotiated away, no header changed; TCP_NODELAY on every accepted
// connection (accept/accept4 interposed, since libmilter exposes no fd).
// What legit-milter's cost is measured against. Not project code.
// usage: nullfilter inet:PORT@127.0.0.1
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdio>

#include <libmilter/mfapi.h>

namespace {
void nodelay(int fd) {
  int one = 1;
  if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
sfsistat on_conn(SMFICTX*, char*, _SOCK_ADDR*) { return SMFIS_CONTINUE; }
sfsistat on_str(SMFICTX*, char*) { return SMFIS_CONTINUE; }
sfsistat on_argv(SMFICTX*, char**) { return SMFIS_CONTINUE; }
sfsistat on_hdr(SMFICTX*, char*, char*) { return SMFIS_CONTINUE; }
sfsistat on_none(SMFICTX*) { return SMFIS_CONTINUE; }
sfsistat on_body(SMFICTX*, unsigned char*, size_t) { return SMFIS_CONTINUE; }
sfsistat on_eom(SMFICTX*) { return SMFIS_ACCEPT; }
sfsistat on_unknown(SMFICTX*, const char*) { return SMFIS_CONTINUE; }
}  // namespace

extern "C" int accept(int s, sockaddr* a, socklen_t* l) {
  using Fn = int (*)(int, sockaddr*, socklen_t*);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "accept"));
  int fd = real(s, a, l);
  nodelay(fd);
  return fd;
}
extern "C" int accept4(int s, sockaddr* a, socklen_t* l, int flags) {
  using Fn = int (*)(int, sockaddr*, socklen_t*, int);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "accept4"));
  int fd = real(s, a, l, flags);
  nodelay(fd);
  return fd;
}

int main(int argc, char** argv) {
  smfiDesc d{};
  d.xxfi_name = const_cast<char*>("nullfilter");
  d.xxfi_version = SMFI_VERSION;
  d.xxfi_flags = 0;
  d.xxfi_connect = on_conn;
  d.xxfi_helo = on_str;
  d.xxfi_envfrom = on_argv;
  d.xxfi_envrcpt = on_argv;
  d.xxfi_header = on_hdr;
  d.xxfi_eoh = on_none;
  d.xxfi_body = on_body;
  d.xxfi_eom = on_eom;
  d.xxfi_abort = on_none;
  d.xxfi_close = on_none;
  d.xxfi_unknown = on_unknown;
  d.xxfi_data = on_none;
  if (argc < 2 || smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(d) != MI_SUCCESS) {
    std::fprintf(stderr, "usage: nullfilter inet:PORT@127.0.0.1\n");
    return 1;
  }
  return smfi_main();
}
