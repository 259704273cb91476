export namespace app {
	
	export interface ConsoleLine {
	    level: string;
	    text: string;
	}
	export interface ExecError {
	    kind: string;
	    message: string;
	    line?: number;
	    column?: number;
	    limit?: string;
	    name?: string;
	    stack?: string;
	}
	export interface ExecResult {
	    ok: boolean;
	    value: string;
	    console: ConsoleLine[];
	    error?: ExecError;
	    durationMs: number;
	}

}

