/**
 * Prometheus metrics through prom-client, in a registry of the app's own (so
 * two apps in one process, as in the tests, do not share counters). Gauges
 * that mirror state (queue depth, native tensors) are read when scraped.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { memory } from '@duet/core';

export interface ServeMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  latency: Histogram<'method' | 'route'>;
  batchRows: Histogram;
  batchRequests: Histogram;
  forwardSeconds: Histogram;
}

/** Queue depth as the batcher sees it (zero when batching is off). */
export interface QueueDepth {
  rows(): number;
  requests(): number;
}

export function createMetrics(queue: QueueDepth, options: { processMetrics: boolean }): ServeMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const rowBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
  const metrics: ServeMetrics = {
    registry,
    requests: new Counter({
      name: 'duet_http_requests_total',
      help: 'HTTP requests answered, by method, route (the route pattern; "unmatched" for 404s) and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    latency: new Histogram({
      name: 'duet_http_request_duration_seconds',
      help: 'Time from request received to response sent, in seconds.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    batchRows: new Histogram({
      name: 'duet_batch_size_rows',
      help: 'Rows (images) per forward pass: one request\'s rows with batching off, several requests\' with it on.',
      buckets: rowBuckets,
      registers,
    }),
    batchRequests: new Histogram({
      name: 'duet_batch_size_requests',
      help: 'Requests per forward pass.',
      buckets: rowBuckets,
      registers,
    }),
    forwardSeconds: new Histogram({
      name: 'duet_forward_duration_seconds',
      help: 'Time of one forward pass (upload, model, softmax, download), in seconds.',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
  };
  new Gauge({
    name: 'duet_queue_depth_rows',
    help: 'Rows waiting for a batch.',
    registers,
    collect() {
      this.set(queue.rows());
    },
  });
  new Gauge({
    name: 'duet_queue_depth_requests',
    help: 'Requests waiting for a batch.',
    registers,
    collect() {
      this.set(queue.requests());
    },
  });
  new Gauge({
    name: 'duet_native_tensors',
    help: 'Tensors alive in the native engine (core\'s memory().numTensors).',
    registers,
    collect() {
      this.set(memory().numTensors);
    },
  });
  new Gauge({
    name: 'duet_native_bytes',
    help: 'Bytes held by native tensors (core\'s memory().numBytes).',
    registers,
    collect() {
      this.set(memory().numBytes);
    },
  });
  return metrics;
}
