package openapi

import "littleboxes/capabilities"

// The TypeScript naming and rendering helpers every dynamic kind shares.
var (
	isIdent    = capabilities.IsIdent
	methodName = capabilities.MethodName
	pascal     = capabilities.TypeName
	literal    = capabilities.TSLiteral
	union      = capabilities.TSUnion
	paren      = capabilities.TSParen
	docLine    = capabilities.TSDocLine
)
