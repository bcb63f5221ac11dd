// Package demo embeds the demo pages so that the dev server runs from
// anywhere.
package demo

import "embed"

// FS holds the pages, their scripts and styles.
//
//go:embed *.html *.css *.js
var FS embed.FS
