// Package reliability holds Koinon's reliability and security tests (issue
// 9); it has no production code. The tests run the real server, in process
// (httptest over web.New) or as the built binary (`koinon serve`) killed
// with SIGKILL, on SQLite and, when KOINON_TEST_POSTGRES is set, on
// PostgreSQL:
//
//   - durability_test.go: acknowledged votes survive SIGKILL mid-load; a
//     ballot killed mid-close closes at restart and its proof verifies;
//   - concurrency_test.go: votes, replacements, withdrawals and delegation
//     changes racing a close: one final vote per voter, recount = stored
//     result, no 5xx, no "database is locked", no deadlock;
//   - hostile_test.go: fuzz targets over every JSON handler and a table of
//     malicious requests answered with the right 4xx and no database change;
//   - headers_test.go: security headers, cookies, sign-in lockout, secrets
//     never logged, request ids and metrics;
//   - backup_test.go: `koinon backup` under load, `koinon restore`, serve,
//     verify every sealed proof.
//
// Short forms run in `make test`; `make stress` sets KOINON_STRESS=1 for the
// long forms and KOINON_STRESS_REPORT to write a summary into
// docs/reliability.md. See docs/reliability.md and docs/security.md.
package reliability
