// crypto (Web Crypto API: getRandomValues and randomUUID only).
//
// This is the body of a factory function (see module.source in webapi.go):
// `native` is the Go helper and the operation constants are declared before
// this text. It returns the crypto object. The factory touches no built-in
// object.

const TOKEN = {};

class Crypto {
	#brand = 0;

	constructor(token = undefined) {
		if (token !== TOKEN) native(THROW, "Illegal constructor");
	}

	getRandomValues(array) {
		this.#brand;
		if (arguments.length < 1) native(ARGS, 1, arguments.length, "Failed to execute 'getRandomValues' on 'Crypto'");
		return native(RANDOM_VALUES, array);
	}

	randomUUID() {
		this.#brand;
		return native(RANDOM_UUID);
	}
}

return { crypto: new Crypto(TOKEN) };
