// rabbitmq-c: Debian bookworm's 0.11 ships flat headers, newer releases use <rabbitmq-c/...>.
#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/tcp_socket.h>
#else
#include <amqp.h>
#include <amqp_tcp_socket.h>
#endif
