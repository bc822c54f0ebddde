/**
 * TensorFlow's `ServerDef` protobuf, encoded by hand: the message that
 * `TFE_EnableCollectiveOps` takes to start this task's gRPC server and know
 * its peers. Field numbers (tensorflow/core/protobuf/tensorflow_server.proto,
 * cluster.proto, config.proto; unchanged from TF 2.9 to 2.21):
 *
 *   ServerDef   { ClusterDef cluster = 1; string job_name = 2; int32 task_index = 3;
 *                 ConfigProto default_session_config = 4; string protocol = 5; }
 *   ClusterDef  { repeated JobDef job = 1; }
 *   JobDef      { string name = 1; map<int32, string> tasks = 2; }   // entry: key = 1, value = 2
 *   ConfigProto { Experimental experimental = 16; }
 *   ConfigProto.Experimental { string collective_group_leader = 1; }
 *
 * Fields are written in field-number order, map entries by ascending key.
 * test/distributed-config.test.ts decodes these bytes and Python's
 * `ServerDef.SerializeToString(deterministic=True)` (fixture from
 * test/distributed-golden/gen_distributed.py) and compares the messages
 * (protobuf leaves the order of map entries open).
 */

/** The job every Duet worker belongs to (as in TF's MultiWorkerMirroredStrategy). */
export const JOB_NAME = 'worker';

/** `/job:worker/replica:0/task:<rank>`: the name TensorFlow gives task `rank`. */
export function taskName(rank: number): string {
  return `/job:${JOB_NAME}/replica:0/task:${rank}`;
}

/** The CPU device of task `rank`, where its collectives run. */
export function taskDevice(rank: number): string {
  return `${taskName(rank)}/device:CPU:0`;
}

function varint(n: number, out: number[]): void {
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

function tag(field: number, wire: 0 | 2, out: number[]): void {
  varint(field * 8 + wire, out);
}

function bytesField(field: number, bytes: ArrayLike<number>, out: number[]): void {
  tag(field, 2, out);
  varint(bytes.length, out);
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i]!);
}

function intField(field: number, value: number, out: number[]): void {
  if (value === 0) return; // proto3 default: not written
  tag(field, 0, out);
  varint(value, out);
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * The ServerDef of task `rank` in a one-job cluster `worker` with tasks
 * `cluster[i]`; task 0 is the collective group leader.
 */
export function encodeServerDef(cluster: readonly string[], rank: number): Uint8Array {
  const job: number[] = [];
  bytesField(1, utf8(JOB_NAME), job);
  cluster.forEach((address, i) => {
    const entry: number[] = [];
    tag(1, 0, entry); // a map entry writes its key even when it is 0, as protobuf does
    varint(i, entry);
    bytesField(2, utf8(address), entry);
    bytesField(2, entry, job);
  });
  const clusterDef: number[] = [];
  bytesField(1, job, clusterDef);
  const experimental: number[] = [];
  bytesField(1, utf8(taskName(0)), experimental);
  const config: number[] = [];
  bytesField(16, experimental, config);
  const out: number[] = [];
  bytesField(1, clusterDef, out);
  bytesField(2, utf8(JOB_NAME), out);
  intField(3, rank, out);
  bytesField(4, config, out);
  bytesField(5, utf8('grpc'), out);
  return Uint8Array.from(out);
}
