// Package demo embeds the demo pages so that the dev server runs from
// anywhere.
package demo

import "embed"

// FS holds the pages, their scripts and styles, and the favicon.
//
//go:embed *.html *.css *.js *.svg
var FS embed.FS
