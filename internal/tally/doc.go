// Package tally counts a closed ballot: it resolves liquid delegation and
// applies the ballot's counting method, as spec/tally.md defines. Count is a
// pure function of its Input (ballot, electorate with effective delegate
// lists, votes, tie-break order); its Result serialises to proof.md's result
// schema. The package owns no I/O: it imports the standard library and its
// stv subpackage only (no database, HTTP, os, clock, randomness or floating
// point), which a test enforces.
//
// Delegation. Every voter holds a ranked list of delegates, first preferred.
// A direct vote always overrides delegation: a casting voter's own list is
// ignored. Delegation is transitive: a voter without a vote is carried by
// the delegate with the shortest chain to a casting voter, the earliest in
// its list when several are equally short, and never fails over to a longer
// chain while a shorter one exists. Every voter therefore has one carrier
// and one root, and the casting voter c counts with W(c), its own weight
// plus the weight of everyone whose chain ends at c. A voter whose list
// reaches no casting voter — dead ends, cycles without a voter on them,
// delegates outside the electorate — is lost: its weight counts for
// nobody, and not toward the quorum either. A voter with an empty list and
// no vote is absent. When a ballot disables delegation every list is read
// as empty. Revocations and scopes are applied before counting: the input
// holds the lists as they stood when the ballot closed.
//
// Methods. majority passes when yes outweighs the threshold share of
// yes + no (strictly, unless Strict is false); abstentions count toward
// the quorum only. plurality and approval elect the Seats options with the
// highest totals; an option with no weight never wins. irv eliminates the
// lowest option round by round until one holds a majority of the
// continuing ballots. schulze ranks options by widest paths over winning
// votes. stv hands weighted rankings to package stv (Meek or Scottish
// rule). budget (participatory budgeting, budget.md) selects projects
// whose costs fit a budget: by the Method of Equal Shares, where every
// casting voter gets an equal share of the budget per unit of weight and
// spends it on the projects it approves, so that a delegate spends the
// shares of everyone it carries; or greedily by approvals. It counts in
// exact rationals (math/big). When the quorum is missed every figure is
// still reported but there are no winners.
//
// Ties. Ties are broken by a permutation of the option keys fixed only
// after voting ends (Tiebreak): earlier in it wins a seat, and among
// options tied for elimination the latest is eliminated, after comparing
// earlier rounds (irv).
//
// Resolve is exported for the web layer, to show a citizen where their
// weight flows; Validate, ValidateChoice and DecodeChoice check inputs at
// the edges. docs/tally.md records the decisions where the spec is silent.
package tally
