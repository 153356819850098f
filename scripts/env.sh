# Sourced by the justfile: connection settings with local defaults, so `just dev` and `just test`
# work on a machine with PostgreSQL and Redis on their standard ports, and anywhere else once
# ADMIN_DATABASE_URL / DATABASE_URL / REDIS_URL are set. Never put real secrets here.

# A role that may create roles and databases (a superuser in development).
: "${ADMIN_DATABASE_URL:=postgres://postgres@127.0.0.1:5432/tsunagu}"
# Development password for tsunagu_app; `tsunagu migrate` sets it. Override in any shared setup.
: "${TSUNAGU_APP_DB_PASSWORD:=tsunagu-app-dev}"
# The same for tsunagu_platform, the role `tenant apply`, `staff create` and the loaders write the
# platform's tables with. Its URL is DATABASE_URL's with that role (or PLATFORM_DATABASE_URL).
: "${TSUNAGU_PLATFORM_DB_PASSWORD:=tsunagu-platform-dev}"
if [ -z "${DATABASE_URL:-}" ]; then
  # Same server and database as the admin URL, but as tsunagu_app (the role RLS applies to).
  _rest="${ADMIN_DATABASE_URL#*://}"
  case "$_rest" in *@*) _rest="${_rest#*@}" ;; esac
  DATABASE_URL="postgres://tsunagu_app:${TSUNAGU_APP_DB_PASSWORD}@${_rest}"
  unset _rest
fi
: "${REDIS_URL:=redis://127.0.0.1:6379}"
: "${TSUNAGU_BASE_DOMAIN:=localhost}"
: "${TSUNAGU_LISTEN:=127.0.0.1:8080}"
export ADMIN_DATABASE_URL TSUNAGU_APP_DB_PASSWORD TSUNAGU_PLATFORM_DB_PASSWORD DATABASE_URL REDIS_URL TSUNAGU_BASE_DOMAIN TSUNAGU_LISTEN
