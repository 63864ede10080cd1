/* libssl.so as Debian 12's civetweb expects it.
 *
 * civetweb 1.15 (Debian's libcivetweb1) is built for the OpenSSL 1.1 API and loads OpenSSL at run
 * time with dlopen("libssl.so"), then looks every function up by name. OpenSSL 3 (Debian 12's
 * libssl3) no longer exports SSL_get_peer_certificate, only SSL_get1_peer_certificate (the old
 * name is a macro), so civetweb's TLS fails to start ("cannot find SSL_get_peer_certificate",
 * civetweb/civetweb#1334). This library's SONAME is "libssl.so": once loaded, the dynamic linker
 * hands it to civetweb's dlopen("libssl.so"), and civetweb's lookups find that one function here
 * and everything else in libssl.so.3, on which this library depends. See exporter/http_tls.cc. */

#include <openssl/ssl.h>

#undef SSL_get_peer_certificate
X509 *SSL_get_peer_certificate(const SSL *ssl);

/* Both names return a new reference; civetweb frees it with X509_free. */
X509 *SSL_get_peer_certificate(const SSL *ssl) { return SSL_get1_peer_certificate(ssl); }
