// Package conformance holds tests only: it counts the cases of
// shared/conformance (real ballots with published results) with the tally
// engine and checks the published figures. The data
// stay outside the repository; the tests find the folder shared/conformance
// beside the repository root, skip when it is missing, and fail instead
// when KOINON_REQUIRE_CONFORMANCE=1.
package conformance
