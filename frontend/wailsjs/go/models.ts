export namespace app {
	
	export interface Pos {
	    x: number;
	    y: number;
	}
	export interface TemplateView {
	    each: string;
	    as: string;
	}
	export interface AgentSpec {
	    name: string;
	    doc?: string;
	    code?: string;
	    instructions?: string;
	    model?: string;
	    mode?: string;
	    attempts?: number;
	    triggers?: string[];
	    template?: TemplateView;
	    pos?: Pos;
	}
	export interface BindingView {
	    env: string;
	    capability: string;
	    kind: string;
	    role: string;
	    verdict: string;
	    why: string;
	    audience: string[];
	    rule: string;
	}
	export interface InstanceView {
	    name: string;
	    item: string;
	    label: string[];
	    state: string;
	}
	export interface AgentView {
	    name: string;
	    doc: string;
	    code: string;
	    codePath: string;
	    instructions: string;
	    model: string;
	    mode: string;
	    attempts: number;
	    triggers: string[];
	    template?: TemplateView;
	    instances: InstanceView[];
	    label: string[];
	    bindings: BindingView[];
	    pos?: Pos;
	    state: string;
	}
	
	export interface CapabilitySpec {
	    name: string;
	    kind: string;
	    props?: Record<string, any>;
	    secrets?: Record<string, string>;
	    pos?: Pos;
	}
	export interface MethodView {
	    name: string;
	    role: string;
	}
	export interface CapabilityView {
	    name: string;
	    kind: string;
	    props: Record<string, any>;
	    secrets: Record<string, string>;
	    pos?: Pos;
	    methods: MethodView[];
	}
	export interface ChannelView {
	    from: string;
	    env: string;
	    to: string;
	    label: string[];
	}
	export interface ConsoleLine {
	    level: string;
	    text: string;
	}
	export interface Diagnostic {
	    line: number;
	    column: number;
	    text: string;
	}
	export interface Effect {
	    id: string;
	    agent: string;
	    env: string;
	    capability: string;
	    method: string;
	    args: number[];
	    why?: string;
	    created: number;
	    status: string;
	    decided?: number;
	    result?: number[];
	    error?: string;
	    audience?: string[];
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
	
	export interface MethodInfo {
	    name: string;
	    role: string;
	}
	export interface PropField {
	    name: string;
	    type: string;
	    doc: string;
	    required?: boolean;
	    items?: string;
	}
	export interface KindInfo {
	    id: string;
	    doc: string;
	    props: PropField[];
	    secrets: string[];
	    methods: MethodInfo[];
	    declaration: string;
	    enumerates: boolean;
	}
	
	
	
	export interface Problem {
	    line: number;
	    column: number;
	    path: string;
	    message: string;
	    tools?: string;
	}
	
	export interface RunRecord {
	    id: string;
	    agent: string;
	    trigger: string;
	    entry: string;
	    start: number;
	    end: number;
	    status: string;
	    result?: number[];
	    error?: string;
	    console?: ConsoleLine[];
	    attempts?: codemode.Attempt[];
	}
	export interface RunningArmy {
	    name: string;
	    path: string;
	    shown: boolean;
	    agents: number;
	    notRunning?: string;
	}
	export interface Settings {
	    keepRunning: boolean;
	    mute: notify.Mutes;
	}
	export interface SinkView {
	    agent: string;
	    binding: string;
	    audience: string[];
	    verdict: string;
	    why: string;
	}
	
	export interface Workspace {
	    name: string;
	    doc: string;
	    path: string;
	    agents: AgentView[];
	    capabilities: CapabilityView[];
	    channels: ChannelView[];
	    sinks: SinkView[];
	    problems: Problem[];
	    running: boolean;
	}

}

export namespace codemode {
	
	export interface Usage {
	    prompt_tokens: number;
	    completion_tokens: number;
	    total_tokens: number;
	}
	export interface Attempt {
	    code: string;
	    cached?: boolean;
	    error?: string;
	    console?: sandbox.ConsoleLine[];
	    usage?: Usage;
	}

}

export namespace engine {
	
	export interface Simulated {
	    env: string;
	    method: string;
	    args: any[];
	}
	export interface Authored {
	    agent: string;
	    model: string;
	    code: string;
	    diff: string;
	    value: any;
	    console?: sandbox.ConsoleLine[];
	    calls: Simulated[];
	    attempts: codemode.Attempt[];
	    error?: string;
	}

}

export namespace notify {
	
	export interface Mutes {
	    all?: boolean;
	    approvals?: boolean;
	    cordons?: boolean;
	    deadLetters?: boolean;
	}

}

export namespace sandbox {
	
	export interface ConsoleLine {
	    level: string;
	    text: string;
	}

}

