// TextEncoder and TextDecoder (WHATWG Encoding Standard, UTF-8 only).
//
// This is the body of a factory function (see module.source in webapi.go):
// `native` is the Go helper and the operation constants are declared before
// this text. The factory touches no built-in object.

function dictionary(v, what) {
	if (v === undefined || v === null) {
		return undefined;
	}
	if (typeof v !== "object" && typeof v !== "function") {
		native(THROW, `${what}: The provided value is not of type 'object'.`);
	}
	return v;
}

class TextEncoder {
	#brand = 0;

	get encoding() {
		this.#brand;
		return "utf-8";
	}

	encode(input = "") {
		this.#brand;
		return native(ENCODE, `${input}`);
	}

	encodeInto(source, destination) {
		this.#brand;
		if (arguments.length < 2) native(ARGS, 2, arguments.length, "Failed to execute 'encodeInto' on 'TextEncoder'");
		return native(ENCODE_INTO, `${source}`, destination);
	}
}

class TextDecoder {
	#h;
	#fatal;
	#ignoreBOM;

	constructor(label = "utf-8", options = undefined) {
		const name = `${label}`;
		const o = dictionary(options, "Failed to construct 'TextDecoder'");
		const fatal = o === undefined ? false : !!o.fatal;
		const ignoreBOM = o === undefined ? false : !!o.ignoreBOM;
		const h = native(DECODER_NEW, name, fatal, ignoreBOM);
		if (h === null) {
			throw new RangeError(`Failed to construct 'TextDecoder': The encoding label provided ('${name}') is invalid.`);
		}
		this.#h = h;
		this.#fatal = fatal;
		this.#ignoreBOM = ignoreBOM;
	}

	get encoding() {
		this.#h;
		return "utf-8";
	}

	get fatal() {
		return this.#fatal;
	}

	get ignoreBOM() {
		return this.#ignoreBOM;
	}

	decode(input = undefined, options = undefined) {
		const h = this.#h;
		const o = dictionary(options, "Failed to execute 'decode' on 'TextDecoder'");
		return native(DECODE, h, input, o === undefined ? false : !!o.stream);
	}
}

return { TextEncoder, TextDecoder };
