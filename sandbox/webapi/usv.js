// The USVString conversions of the url and params modules, declared before
// each one's body (see urlapi.go).

function usv(v) {
	return `${v}`; // ToString; Go makes it a USVString
}

function optUSV(v) {
	return v === undefined ? undefined : `${v}`;
}
