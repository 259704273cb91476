export namespace app {
	
	export interface ArmyAgent {
	    name: string;
	    template: string;
	    item: string;
	    label: string[];
	}
	export interface ArmyChannel {
	    from: string;
	    to: string;
	}
	export interface ArmySink {
	    agent: string;
	    binding: string;
	    audience: string[];
	    verdict: string;
	    why: string;
	}
	export interface ArmyView {
	    name: string;
	    doc: string;
	    path: string;
	    agents: ArmyAgent[];
	    sinks: ArmySink[];
	    channels: ArmyChannel[];
	    error?: string;
	}
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

