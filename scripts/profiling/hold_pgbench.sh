#!/usr/bin/env bash
# PostgreSQL's own work for a hold: `bx_hold` called by pgbench (8 clients, one hold per
# transaction, no app in between) on databases of this tree's schema, holds a second.
#
#   scripts/profiling/hold_pgbench.sh          8 s a variant
#   SECONDS_EACH=16 scripts/profiling/hold_pgbench.sh
#
# Each variant is a database of its own with the same data (4 dates x 25,000 seats, 20,000
# fans with a wallet, no reservation yet); each transaction holds the next free seat (a sequence
# hands them out, so every call is a hold that succeeds, never a refusal) for a random fan, and
# pgbench prints its progress every 2 s (past 100,000 holds the seats run out: keep
# SECONDS_EACH under about 20):
#   as_migrated      the reservation tables never vacuumed, as a new deployment has them
#   analyzed_empty   the reservation tables analyzed while empty, which docs/operations.md ("A
#                    new database before its first sale") warns against: watch the progress
#                    lines fall as the tables grow
#   no_foreign_keys  as_migrated without the foreign keys of reservation, seat.reservation_id
#                    and reservation_seat: what their checks cost (the schema keeps them)
# synchronous_commit is off for pgbench's sessions: the WAL flush is not what is measured.
# Needs pgbench and PostgreSQL on 127.0.0.1:5432 (user postgres, trust); the databases are its
# own, dropped after.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v pgbench >/dev/null || { echo "needs pgbench (postgresql-client)" >&2; exit 2; }
BIN=$PWD/.venv/bin
SECONDS_EACH=${SECONDS_EACH:-8}
STAMP=$(date -u +%Y%m%d%H%M%S)
TEMPLATE=hold_pgbench_$STAMP
WORK=$(mktemp -d)
DATABASES=("$TEMPLATE")
cleanup() {
  for db in "${DATABASES[@]}"; do
    dropdb -h 127.0.0.1 -U postgres --if-exists "$db" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
sql() { psql -q -X -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -d "$1" -c "$2" >/dev/null; }

createdb -h 127.0.0.1 -U postgres "$TEMPLATE"
BOXOFFICE_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/$TEMPLATE" \
  BOXOFFICE_DATA_DIR="$WORK" "$BIN/boxoffice" migrate >"$WORK/migrate.log" 2>&1
sql "$TEMPLATE" "
INSERT INTO concert (title, venue, description, created_at) VALUES ('T', 'V', '', now());
INSERT INTO schedule (concert_id, starts_at, total_seats, created_at)
  SELECT 1, now() + interval '30 days', 25000, now() FROM generate_series(1, 4);
INSERT INTO seat (schedule_id, number, section, price, status)
  SELECT s, n, 'A', 100, 'AVAILABLE' FROM generate_series(1, 4) s, generate_series(1, 25000) n;
INSERT INTO user_account (username, password_hash, created_at)
  SELECT 'fan' || i, 'x', now() FROM generate_series(1, 20000) i;
INSERT INTO wallet (user_id, balance, currency, updated_at)
  SELECT i, 1000000, 'KRW', now() FROM generate_series(1, 20000) i;
CREATE SEQUENCE hold_pgbench_seat START 0 MINVALUE 0;"
for table in concert schedule seat user_account wallet; do
  sql "$TEMPLATE" "VACUUM ANALYZE $table"
done

cat >"$WORK/hold.pgb" <<'PGB'
\set fan random(1, 20000)
SELECT h.* FROM (SELECT nextval('hold_pgbench_seat') AS k) AS seat,
  bx_hold(:fan, 1 + seat.k / 25000, ARRAY[1 + (seat.k % 25000)::integer],
          now() + interval '5 min', now(), 1000) AS h;
PGB

echo "bx_hold on PostgreSQL alone: pgbench, 8 clients, ${SECONDS_EACH} s a variant"
for variant in as_migrated analyzed_empty no_foreign_keys; do
  db=${TEMPLATE}_$variant
  DATABASES+=("$db")
  createdb -h 127.0.0.1 -U postgres -T "$TEMPLATE" "$db"
  case $variant in
    analyzed_empty) sql "$db" "ANALYZE reservation, reservation_seat" ;;
    no_foreign_keys)
      sql "$db" "ALTER TABLE reservation DROP CONSTRAINT fk_reservation_schedule_id_schedule,
                   DROP CONSTRAINT fk_reservation_user_id_user_account;
                 ALTER TABLE seat DROP CONSTRAINT fk_seat_reservation_id_reservation;
                 ALTER TABLE reservation_seat
                   DROP CONSTRAINT fk_reservation_seat_reservation_id_reservation,
                   DROP CONSTRAINT fk_reservation_seat_seat_id_seat" ;;
  esac
  echo "== $variant"
  PGOPTIONS='-c synchronous_commit=off' pgbench -n -h 127.0.0.1 -U postgres -c 8 -j 2 \
    -T "$SECONDS_EACH" -P 2 -f "$WORK/hold.pgb" "$db" 2>&1 | grep -E '^(progress|tps)'
  psql -X -A -t -h 127.0.0.1 -U postgres -d "$db" \
    -c "SELECT 'holds made: ' || count(*) || ', seats held: ' ||
               (SELECT count(*) FROM seat WHERE status = 'HELD') FROM reservation"
done
