// Package standard registers littleboxes' built-in capability kinds: import
// it for its side effects to have every kind available.
package standard

import (
	// The built-in kinds, each registering itself at init.
	_ "littleboxes/capabilities/channel"
	_ "littleboxes/capabilities/folder"
	_ "littleboxes/capabilities/http"
	_ "littleboxes/capabilities/kv"
	_ "littleboxes/capabilities/llm"
	_ "littleboxes/capabilities/mail"
	_ "littleboxes/capabilities/mcp"
	_ "littleboxes/capabilities/openapi"
	_ "littleboxes/capabilities/report"
)

// IDs lists the built-in kinds' ids.
var IDs = []string{"channel", "folder", "http", "kv", "llm", "mail", "mcp", "openapi", "report"}
