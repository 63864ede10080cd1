/* libcrypto.so as Debian 12's civetweb expects it: SONAME "libcrypto.so", depending on
 * libcrypto.so.3, so that civetweb's dlopen("libcrypto.so") works without the development
 * package's symlink. See libssl_compat.c and exporter/http_tls.cc. */

/* A library must define something; this names what it is. */
const char rh_libcrypto_compat[] = "rogue-hunter: libcrypto.so for civetweb";
