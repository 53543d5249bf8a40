/*
 * stub-lookup: one lookup through the C library's own stub resolver, as an
 * application makes it, printed as one JSON line. Built once against glibc
 * (dynamic and static) and once against musl (static, musl-gcc), so the
 * application layer is the library's behaviour rather than a model of it:
 * search list, ndots, timeouts, attempts and nameserver fallback all come
 * from the library reading the environment's /etc/resolv.conf.
 *
 *   stub-lookup [--root DIR] addr4|addr6 NAME
 *       getaddrinfo(NAME, AF_INET|AF_INET6, SOCK_STREAM, no flags)
 *       {"ok":true,"addresses":["10.0.0.1",...]}
 *       {"ok":false,"error":"EAI_NONAME"}        (EAI_SYSTEM adds "errno")
 *   stub-lookup [--root DIR] search TYPE NAME
 *       glibc: res_nsearch on a private res_state (res_ninit)
 *       musl:  res_search, which in musl is res_query (see search_musl)
 *       {"ok":true,"answer":"<whole DNS response, lower-case hex>"}
 *       {"ok":false,"error":"HOST_NOT_FOUND"|"NO_DATA"|"TRY_AGAIN"|"NO_RECOVERY"}
 *   getent ahostsv4|ahostsv6 NAME   (when installed as "getent")
 *       glibc getent's output for those databases, exit 2 when not found,
 *       so an image with this binary as its getent is probed with its libc.
 *
 * --root DIR chroot()s into DIR first, so resolv.conf, hosts and
 * nsswitch.conf are read from that tree (a container image's files); it
 * needs root. Exit status 0 whenever a lookup was made (its result is in
 * the JSON), 1 for usage and internal errors (message on stderr).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>

/* Record types by number: musl's and older glibc's headers lack some (CAA). */
static const struct { const char *name; int type; } TYPES[] = {
    {"A", 1},    {"NS", 2},   {"CNAME", 5}, {"SOA", 6},  {"PTR", 12},
    {"MX", 15},  {"TXT", 16}, {"AAAA", 28}, {"SRV", 33}, {"CAA", 257},
};

static const char *prog = "stub-lookup";

static void die(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "%s: ", prog);
  fprintf(stderr, fmt, a, b);
  fputc('\n', stderr);
  exit(1);
}

static void usage(void) {
  fprintf(stderr,
          "usage: %s [--root DIR] addr4|addr6 NAME\n"
          "       %s [--root DIR] search TYPE NAME\n"
          "TYPE: A AAAA CNAME MX TXT SRV NS SOA PTR CAA\n",
          prog, prog);
  exit(1);
}

static const char *errno_name(int e) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *n = strerrorname_np(e);
  if (n) return n;
#endif
  switch (e) {
  case EPERM: return "EPERM";
  case ENOENT: return "ENOENT";
  case EINTR: return "EINTR";
  case EIO: return "EIO";
  case EAGAIN: return "EAGAIN";
  case ENOMEM: return "ENOMEM";
  case EACCES: return "EACCES";
  case ENOTDIR: return "ENOTDIR";
  case EINVAL: return "EINVAL";
  case EMFILE: return "EMFILE";
  case EAFNOSUPPORT: return "EAFNOSUPPORT";
  case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
  case ENETUNREACH: return "ENETUNREACH";
  case ECONNREFUSED: return "ECONNREFUSED";
  case ETIMEDOUT: return "ETIMEDOUT";
  case EHOSTUNREACH: return "EHOSTUNREACH";
  default: return "EUNKNOWN";
  }
}

static const char *eai_name(int rc) {
  switch (rc) {
  case EAI_BADFLAGS: return "EAI_BADFLAGS";
  case EAI_NONAME: return "EAI_NONAME";
  case EAI_AGAIN: return "EAI_AGAIN";
  case EAI_FAIL: return "EAI_FAIL";
  case EAI_FAMILY: return "EAI_FAMILY";
  case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
  case EAI_SERVICE: return "EAI_SERVICE";
  case EAI_MEMORY: return "EAI_MEMORY";
  case EAI_SYSTEM: return "EAI_SYSTEM";
  case EAI_OVERFLOW: return "EAI_OVERFLOW";
#ifdef EAI_NODATA
  case EAI_NODATA: return "EAI_NODATA";
#endif
#ifdef EAI_ADDRFAMILY
  case EAI_ADDRFAMILY: return "EAI_ADDRFAMILY";
#endif
  default: return "EAI_UNKNOWN";
  }
}

static const char *h_errno_name(int h) {
  switch (h) {
  case HOST_NOT_FOUND: return "HOST_NOT_FOUND";
  case TRY_AGAIN: return "TRY_AGAIN";
  case NO_RECOVERY: return "NO_RECOVERY";
  case NO_DATA: return "NO_DATA";
  default: return "NETDB_INTERNAL";
  }
}

static int type_number(const char *name) {
  for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
    if (!strcmp(TYPES[i].name, name)) return TYPES[i].type;
  return -1;
}

/* The addresses getaddrinfo returned, once each, in its order (its sorting
 * by RFC 6724 is part of what the library does). */
static int print_addresses(const struct addrinfo *res, int getent_style, const char *name) {
  char seen[64][INET6_ADDRSTRLEN];
  int n = 0, first = 1;
  if (!getent_style) fputs("{\"ok\":true,\"addresses\":[", stdout);
  for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    char buf[INET6_ADDRSTRLEN];
    const void *a = ai->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                                             : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
    if (!inet_ntop(ai->ai_family, a, buf, sizeof buf)) continue;
    if (getent_style) {
      /* glibc getent: address, socket type, and the canonical name on the first line. */
      const char *st = ai->ai_socktype == SOCK_STREAM ? "STREAM" : ai->ai_socktype == SOCK_DGRAM ? "DGRAM" : ai->ai_socktype == SOCK_RAW ? "RAW" : "";
      printf("%-15s %-6s %s\n", buf, st, first ? (ai->ai_canonname ? ai->ai_canonname : name) : "");
      first = 0;
      continue;
    }
    int dup = 0;
    for (int i = 0; i < n; i++) dup |= !strcmp(seen[i], buf);
    if (dup) continue;
    if (n < 64) strcpy(seen[n++], buf);
    printf("%s\"%s\"", n > 1 ? "," : "", buf);
  }
  if (!getent_style) fputs("]}\n", stdout);
  return 0;
}

static int lookup_addr(int family, const char *name) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  errno = 0;
  int rc = getaddrinfo(name, NULL, &hints, &res);
  if (rc == EAI_SYSTEM)
    printf("{\"ok\":false,\"error\":\"EAI_SYSTEM\",\"errno\":\"%s\"}\n", errno_name(errno));
  else if (rc != 0)
    printf("{\"ok\":false,\"error\":\"%s\"}\n", eai_name(rc));
  else
    print_addresses(res, 0, name);
  if (res) freeaddrinfo(res);
  return 0;
}

static void print_answer(const unsigned char *msg, int len) {
  static const char hex[] = "0123456789abcdef";
  fputs("{\"ok\":true,\"answer\":\"", stdout);
  for (int i = 0; i < len; i++) {
    putchar(hex[msg[i] >> 4]);
    putchar(hex[msg[i] & 15]);
  }
  fputs("\"}\n", stdout);
}

/* Big enough for any message over TCP, so glibc never truncates one. */
static unsigned char answer[65536];

#if defined(__GLIBC__)
/*
 * glibc: res_nsearch with its own res_state, as an application that wants
 * MX, SRV or TXT calls it. The name as given is tried first when it has at
 * least ndots dots, then each search domain, then (if not yet tried) the
 * name as given; a NODATA or NXDOMAIN moves on to the next candidate, a
 * SERVFAIL from every server too, a timeout ends the walk. Each candidate
 * goes through res_nsend: nameservers in order, timeout and attempts from
 * resolv.conf, TCP when the UDP answer is truncated.
 */
static int search(int type, const char *name) {
  struct __res_state st;
  memset(&st, 0, sizeof st);
  if (res_ninit(&st) != 0) die("res_ninit failed: %s%s", errno_name(errno), "");
  int n = res_nsearch(&st, name, ns_c_in, type, answer, sizeof answer);
  if (n < 0)
    printf("{\"ok\":false,\"error\":\"%s\"}\n", h_errno_name(st.res_h_errno));
  else
    print_answer(answer, n < (int)sizeof answer ? n : (int)sizeof answer);
  res_nclose(&st);
  return 0;
}
#else
/*
 * musl (checked against src/network/ in 1.2.3, Debian bookworm's, and 1.2.5):
 * res_search is a weak alias of res_query: NO search list and no ndots for
 * any type, the name is asked exactly as given. (Only getaddrinfo walks the
 * search list, in lookup_name.c's name_from_dns_search, and it tries the
 * name as given last, or alone when it has ndots dots.) res_query builds the
 * query with res_mkquery, which rejects types above 255 (CAA is 257: -1 and
 * h_errno untouched, reported here as NETDB_INTERNAL), and sends it with
 * __res_msend: one UDP socket, the query to EVERY nameserver at once,
 * resent to all every timeout/attempts seconds until timeout seconds have
 * passed in total; the first NOERROR or NXDOMAIN from any of them is the
 * answer, a SERVFAIL is asked again of that server, REFUSED and other codes
 * are ignored. 1.2.3 has no TCP fallback (1.2.4 added it) and no EDNS, so
 * answers are at most 512 bytes. h_errno: TRY_AGAIN when no answer came,
 * HOST_NOT_FOUND for NXDOMAIN, NO_DATA for NOERROR without answers.
 */
static int search(int type, const char *name) {
  h_errno = 0;
  int n = res_search(name, C_IN, type, answer, sizeof answer);
  if (n < 0) {
    if (h_errno == 0)
      printf("{\"ok\":false,\"error\":\"NETDB_INTERNAL\",\"detail\":\"res_mkquery rejected the query\"}\n");
    else
      printf("{\"ok\":false,\"error\":\"%s\"}\n", h_errno_name(h_errno));
  } else
    print_answer(answer, n < (int)sizeof answer ? n : (int)sizeof answer);
  return 0;
}
#endif

/* getent ahostsv4|ahostsv6 NAME, as glibc's getent prints them. */
static int getent(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: getent ahostsv4|ahostsv6 NAME\n");
    return 1;
  }
  int family = !strcmp(argv[1], "ahostsv4") ? AF_INET : !strcmp(argv[1], "ahostsv6") ? AF_INET6 : -1;
  if (family < 0) {
    fprintf(stderr, "Unknown database: %s\n", argv[1]);
    return 1;
  }
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = family;
  hints.ai_flags = AI_CANONNAME;
  if (getaddrinfo(argv[2], NULL, &hints, &res) != 0) return 2;
  print_addresses(res, 1, argv[2]);
  freeaddrinfo(res);
  return 0;
}

int main(int argc, char **argv) {
  const char *base = strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  if (!strcmp(base, "getent")) return getent(argc, argv);
  prog = base;

  int i = 1;
  if (i < argc && !strcmp(argv[i], "--root")) {
    if (i + 1 >= argc) usage();
    const char *root = argv[i + 1];
    if (chroot(root) != 0) {
      int e = errno;
      die("chroot %s: %s", root, e == EPERM ? "not permitted (--root needs root privileges)" : strerror(e));
    }
    if (chdir("/") != 0) die("chdir / in %s: %s", root, strerror(errno));
    i += 2;
  }
  if (i >= argc) usage();
  const char *cmd = argv[i++];
  int rc;
  if (!strcmp(cmd, "addr4") || !strcmp(cmd, "addr6")) {
    if (argc - i != 1) usage();
    rc = lookup_addr(cmd[4] == '4' ? AF_INET : AF_INET6, argv[i]);
  } else if (!strcmp(cmd, "search")) {
    if (argc - i != 2) usage();
    int type = type_number(argv[i]);
    if (type < 0) die("unknown record type %s (expected one of A AAAA CNAME MX TXT SRV NS SOA PTR CAA)%s", argv[i], "");
    rc = search(type, argv[i + 1]);
  } else {
    usage();
  }
  if (fflush(stdout) != 0) die("writing stdout: %s%s", strerror(errno), "");
  return rc;
}
