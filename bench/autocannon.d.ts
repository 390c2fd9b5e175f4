// Minimal types for the parts of autocannon's programmatic API that bench/run.ts uses
// (@types/autocannon is not a dependency). Shapes follow autocannon 8's lib/aggregateResult.js.
declare module 'autocannon' {
  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      /** Called before each send; return the (possibly modified) request. */
      setupRequest?: (req: Request, context: Record<string, unknown>) => Request;
    }

    interface Options {
      url: string;
      connections?: number;
      duration?: number;
      method?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      requests?: Request[];
      timeout?: number;
    }

    /** Histogram summary; latency in milliseconds, requests in requests per second. */
    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
      [percentile: `p${string}`]: number;
    }

    interface Result {
      url: string;
      connections: number;
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      '2xx': number;
      statusCodeStats: Record<string, { count: number }>;
      latency: Histogram;
      requests: Histogram & { sent: number };
      throughput: Histogram;
    }
  }

  namespace autocannon {
    /** The run: an EventEmitter that is also a thenable of the result. */
    interface Instance extends PromiseLike<Result> {
      /**
       * After every response (lib/run.js onResponse). responseTimeMs is fractional (process.hrtime),
       * unlike the histogram in Result.latency, which holds whole milliseconds.
       */
      on(event: 'response', listener: (client: unknown, statusCode: number | string, resBytes: number, responseTimeMs: number) => void): this;
    }
  }

  /** Without a callback it returns an EventEmitter that is also a thenable of the result. */
  function autocannon(options: autocannon.Options): autocannon.Instance;

  export default autocannon;
}
