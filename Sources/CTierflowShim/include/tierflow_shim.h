// Typed wrappers for the parts of rabbitmq-c and libcurl that Swift cannot call directly:
// variadic functions (amqp_login, curl_easy_setopt, curl_easy_getinfo, curl_multi_setopt); thread naming;
// and OpenSSL's exit-time cleanup, turned off before main (shim.c says why).
#ifndef TIERFLOW_SHIM_H
#define TIERFLOW_SHIM_H

#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/tcp_socket.h>
#else
#include <amqp.h>
#include <amqp_tcp_socket.h>
#endif
#include <curl/curl.h>
#include <openssl/crypto.h>

/// `amqp_login` with the PLAIN mechanism.
amqp_rpc_reply_t tf_amqp_login_plain(amqp_connection_state_t state, const char *vhost, int channel_max,
                                     int frame_max, int heartbeat, const char *user, const char *password);

/// `curl_easy_setopt` for `long` options.
CURLcode tf_curl_easy_setopt_long(CURL *handle, CURLoption option, long value);
/// `curl_easy_setopt` for `curl_off_t` options.
CURLcode tf_curl_easy_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
/// `curl_easy_setopt` for pointer options (strings, slists, user data).
CURLcode tf_curl_easy_setopt_pointer(CURL *handle, CURLoption option, const void *value);
/// `curl_easy_setopt` for `CURLOPT_WRITEFUNCTION` / `CURLOPT_HEADERFUNCTION`.
typedef size_t (*tf_curl_data_callback)(char *data, size_t size, size_t count, void *userdata);
CURLcode tf_curl_easy_setopt_data_callback(CURL *handle, CURLoption option, tf_curl_data_callback callback);
/// `curl_easy_getinfo` for `long` values.
CURLcode tf_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
/// `curl_easy_getinfo` for pointer values (CURLINFO_PRIVATE).
CURLcode tf_curl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value);
/// `curl_easy_getinfo` for `double` values (timings).
CURLcode tf_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value);
/// `curl_multi_setopt` for `long` options.
CURLMcode tf_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value);

/// `amqp_login_with_properties` with the PLAIN mechanism (client properties such as `connection_name`
/// and capabilities like `connection.blocked` are merged into rabbitmq-c's defaults).
amqp_rpc_reply_t tf_amqp_login_plain_with_properties(amqp_connection_state_t state, const char *vhost,
                                                     int channel_max, int frame_max, int heartbeat,
                                                     const amqp_table_t *properties, const char *user,
                                                     const char *password);

/// Names the calling thread for debuggers and `top -H` (Linux keeps at most 15 characters; no-op elsewhere).
void tf_set_current_thread_name(const char *name);

/// Whether OpenSSL was initialised, before `main`, without its `atexit` cleanup, which races threads that are
/// still exiting (see shim.c). 1 when it was.
int tf_openssl_exit_cleanup_disabled(void);

#endif
