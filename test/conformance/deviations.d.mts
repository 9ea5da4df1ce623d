export declare const allowedFailures: Readonly<Record<string, string>>
export declare const allowedReason: (id: string) => string | undefined
