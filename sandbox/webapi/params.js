// URLSearchParams (WHATWG URL Standard).
//
// This is the body of a factory function (see module.source in webapi.go):
// `native` is the Go helper, and the operation constants (SP_NEW, …) and usv
// and optUSV (usv.js) are declared before this text. The list lives in Go;
// each instance holds an opaque Go handle in a private field. The factory
// touches no built-in object; the iterator class is made on first use.

const LINK = {}; // lets this module make a URLSearchParams from a handle

class URLSearchParams {
	#h;

	constructor(init = undefined, link = undefined) {
		if (init === LINK) {
			this.#h = link;
		} else if (init === undefined) {
			this.#h = native(SP_NEW);
		} else if (init !== null && (typeof init === "object" || typeof init === "function")) {
			this.#h = native(SP_NEW_FROM, init);
		} else {
			this.#h = native(SP_NEW, usv(init));
		}
	}

	get size() {
		return native(SP_SIZE, this.#h);
	}

	append(name, value) {
		const h = this.#h;
		if (arguments.length < 2) native(ARGS, 2, arguments.length, "Failed to execute 'append' on 'URLSearchParams'");
		native(SP_APPEND, h, usv(name), usv(value));
	}

	delete(name, value = undefined) {
		const h = this.#h;
		if (arguments.length < 1) native(ARGS, 1, arguments.length, "Failed to execute 'delete' on 'URLSearchParams'");
		native(SP_DELETE, h, usv(name), optUSV(value));
	}

	get(name) {
		const h = this.#h;
		if (arguments.length < 1) native(ARGS, 1, arguments.length, "Failed to execute 'get' on 'URLSearchParams'");
		return native(SP_GET, h, usv(name));
	}

	getAll(name) {
		const h = this.#h;
		if (arguments.length < 1) native(ARGS, 1, arguments.length, "Failed to execute 'getAll' on 'URLSearchParams'");
		return native(SP_GET_ALL, h, usv(name));
	}

	has(name, value = undefined) {
		const h = this.#h;
		if (arguments.length < 1) native(ARGS, 1, arguments.length, "Failed to execute 'has' on 'URLSearchParams'");
		return native(SP_HAS, h, usv(name), optUSV(value));
	}

	set(name, value) {
		const h = this.#h;
		if (arguments.length < 2) native(ARGS, 2, arguments.length, "Failed to execute 'set' on 'URLSearchParams'");
		native(SP_SET, h, usv(name), usv(value));
	}

	sort() {
		native(SP_SORT, this.#h);
	}

	forEach(callback, thisArg = undefined) {
		const h = this.#h;
		if (arguments.length < 1) native(ARGS, 1, arguments.length, "Failed to execute 'forEach' on 'URLSearchParams'");
		native(SP_FOR_EACH, h, callback, thisArg, this);
	}

	entries() {
		return iterator(this.#h, 0);
	}

	keys() {
		return iterator(this.#h, 1);
	}

	values() {
		return iterator(this.#h, 2);
	}

	toString() {
		return native(SP_STRING, this.#h);
	}
}

let Iterator_;

// iterator returns a live iterator over the list of h: kind 0 yields
// [name, value] pairs, 1 names, 2 values.
function iterator(h, kind) {
	if (Iterator_ === undefined) {
		function Base() {}
		Base.prototype = [].values().__proto__.__proto__; // %IteratorPrototype%
		Iterator_ = class extends Base {
			#h;
			#kind;
			#i = 0;

			constructor(h, kind) {
				super();
				this.#h = h;
				this.#kind = kind;
			}

			next() {
				const e = native(SP_ENTRY, this.#h, this.#i);
				if (e === undefined) {
					return { value: undefined, done: true };
				}
				this.#i++;
				const kind = this.#kind;
				return { value: kind === 0 ? e : kind === 1 ? e[0] : e[1], done: false };
			}
		};
		delete Iterator_.prototype.constructor;
		native(SP_ITERATOR_PROTO, Iterator_.prototype);
	}
	return new Iterator_(h, kind);
}

return { URLSearchParams, link: (h) => new URLSearchParams(LINK, h) };
