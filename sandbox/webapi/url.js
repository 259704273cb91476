// URL (WHATWG URL Standard).
//
// This is the body of a factory function (see module.source in webapi.go):
// `native` is the Go helper, and the operation constants (URL_PARSE, …) and
// usv and optUSV (usv.js) are declared before this text. Parsing lives in
// Go; each instance holds an opaque Go handle in a private field. The
// factory touches no built-in object, so building it does not make goja
// materialise any.

const LINK = {}; // lets this module make a URL from a handle

class URL {
	#h;

	constructor(url, base = undefined) {
		if (url === LINK) {
			this.#h = base;
			return;
		}
		// No argument count check: new URL() parses "undefined", which
		// fails with a TypeError as the check would.
		this.#h = native(URL_PARSE, usv(url), optUSV(base));
	}

	static parse(url, base = undefined) {
		if (arguments.length < 1) native(ARGS, 1, arguments.length, "Failed to execute 'parse' on 'URL'");
		const h = native(URL_PARSE_OR_NULL, usv(url), optUSV(base));
		return h === null ? null : new URL(LINK, h);
	}

	static canParse(url, base = undefined) {
		if (arguments.length < 1) native(ARGS, 1, arguments.length, "Failed to execute 'canParse' on 'URL'");
		return native(URL_CAN_PARSE, usv(url), optUSV(base));
	}

	get href() {
		return native(URL_GET, this.#h, HREF);
	}
	set href(v) {
		native(URL_SET, this.#h, HREF, usv(v));
	}

	get origin() {
		return native(URL_GET, this.#h, ORIGIN);
	}

	get protocol() {
		return native(URL_GET, this.#h, PROTOCOL);
	}
	set protocol(v) {
		native(URL_SET, this.#h, PROTOCOL, usv(v));
	}

	get username() {
		return native(URL_GET, this.#h, USERNAME);
	}
	set username(v) {
		native(URL_SET, this.#h, USERNAME, usv(v));
	}

	get password() {
		return native(URL_GET, this.#h, PASSWORD);
	}
	set password(v) {
		native(URL_SET, this.#h, PASSWORD, usv(v));
	}

	get host() {
		return native(URL_GET, this.#h, HOST);
	}
	set host(v) {
		native(URL_SET, this.#h, HOST, usv(v));
	}

	get hostname() {
		return native(URL_GET, this.#h, HOSTNAME);
	}
	set hostname(v) {
		native(URL_SET, this.#h, HOSTNAME, usv(v));
	}

	get port() {
		return native(URL_GET, this.#h, PORT);
	}
	set port(v) {
		native(URL_SET, this.#h, PORT, usv(v));
	}

	get pathname() {
		return native(URL_GET, this.#h, PATHNAME);
	}
	set pathname(v) {
		native(URL_SET, this.#h, PATHNAME, usv(v));
	}

	get search() {
		return native(URL_GET, this.#h, SEARCH);
	}
	set search(v) {
		native(URL_SET, this.#h, SEARCH, usv(v));
	}

	get searchParams() {
		return native(URL_PARAMS, this.#h);
	}

	get hash() {
		return native(URL_GET, this.#h, HASH);
	}
	set hash(v) {
		native(URL_SET, this.#h, HASH, usv(v));
	}

	toJSON() {
		return native(URL_GET, this.#h, HREF);
	}

	toString() {
		return native(URL_GET, this.#h, HREF);
	}
}

return { URL };
