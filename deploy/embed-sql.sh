#!/bin/sh
# Turns a service's numbered migration files (NNN_name.sql) into a C array so the daemon
# carries its schema with it. Usage: embed-sql.sh SERVICE FILE...
set -eu
svc=$1; shift
echo '#include "yx_db.h"'
echo "const yx_migration_t ${svc}_migrations[] = {"
for f in "$@"; do
    case $f in *.sql) ;; *) continue ;; esac
    base=$(basename "$f" .sql)
    num=$(echo "$base" | sed 's/^0*\([0-9][0-9]*\)_.*/\1/')
    printf '    {%s, "%s",\n' "$num" "$base"
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/        "/' -e 's/$/\\n"/' "$f"
    echo '    },'
done
echo '};'
echo "const int ${svc}_migrations_count = (int)(sizeof ${svc}_migrations / sizeof ${svc}_migrations[0]);"
