export declare const entries: Record<string, string>;
export declare function buildAll(options?: { quiet?: boolean }): Promise<void>;
export declare function ensureBuilt(options?: { quiet?: boolean }): Promise<boolean>;
export declare function ensureRendererBuilt(options?: { quiet?: boolean }): boolean;
