#!/bin/sh
# Creates the least-privilege worker user through the management API (the admin user and the `tierflow`
# vhost come from RABBITMQ_DEFAULT_*). Idempotent; runs once per `docker compose up`.
set -eu
api="http://${RABBITMQ_ADMIN_USER}:${RABBITMQ_ADMIN_PASSWORD}@rabbitmq:15672/api"
curl -fsS -X PUT -H 'content-type: application/json' "$api/users/tierflow_worker" \
    -d "{\"password\":\"${RABBITMQ_WORKER_PASSWORD}\",\"tags\":\"\"}"
# Workers may declare and use only tierflow.* resources and server-named reply queues.
curl -fsS -X PUT -H 'content-type: application/json' "$api/permissions/tierflow/tierflow_worker" \
    -d '{"configure":"^(tierflow\\..*|amq\\.gen-.*)$","write":"^(tierflow\\..*|amq\\.gen-.*|amq\\.default)$","read":"^(tierflow\\..*|amq\\.gen-.*)$"}'
echo "rabbitmq: tierflow_worker ready"
