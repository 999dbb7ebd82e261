// Package koinon embeds the top-level asset folders (templates, static
// files, migrations and locales) so that the one binary carries them.
package koinon

import "embed"

// Assets holds templates/, static/, migrations/ and locales/.
//
//go:embed templates static migrations locales
var Assets embed.FS
