// Types for provision-download.mjs (plain JavaScript, run by Node at install time).
export declare function proxyFor(url: string, env?: Record<string, string | undefined>): string | undefined;
export declare function downloadFile(
  url: string,
  dest: string,
  opts?: {
    connectTimeoutMs?: number;
    idleTimeoutMs?: number;
    onProgress?: (received: number, total: number | undefined) => void;
    env?: Record<string, string | undefined>;
  },
): Promise<{ bytes: number; url: string }>;
