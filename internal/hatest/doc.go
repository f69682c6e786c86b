// Package hatest holds the fail-over tests: conversations go on while the Redis primary
// that Sentinel watches goes down, on a Redis Cluster, and while the PostgreSQL primary is
// stopped and its standby promoted. They need those servers (scripts/test-ha starts them
// and names them in COOPBOT_HA_* variables) and are skipped without them.
package hatest
