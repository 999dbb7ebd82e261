package domain

// Rules of deliberation forms (docs/deliberation.md).
func init() {
	Rules["range"] = "must be a whole number from %d to %d"
	Rules["confirm_freeze"] = "tick the box: freezing the text now cannot be undone"
	Rules["no_parent"] = "the post you reply to is not on this proposal"
}
