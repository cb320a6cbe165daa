// Types of the `duroxide` module as `duroxide run` gives it (`duroxide types` prints this file):
// the API of the duroxide-node SDK plus this runtime's extras (n-way and nested race/all, ctx.signal).

declare module "duroxide" {
  /** A value that survives a trip through JSON (inputs, outputs, events). */
  export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

  /** What an orchestration yields: a durable task. `T` is what the `yield` gives back. */
  export interface DurableTask<T = unknown> {
    /** Phantom field: carries the result type for `yield`. */
    readonly __result?: T;
  }

  /** An activity task; `.withTag(tag)` routes it to workers serving that tag. */
  export interface ActivityTask<T = unknown> extends DurableTask<T> {
    withTag(tag: string): ActivityTask<T>;
  }

  export interface RetryPolicy {
    maxAttempts: number;
    /** Per attempt. */
    timeoutMs?: number;
    /** Over all attempts. */
    totalTimeoutMs?: number;
    /** `'exponential'` (100 ms x2, max 30 s), `'fixed'` (1 s), anything else linear (100 ms steps, max 30 s). */
    backoff?: "exponential" | "fixed" | "linear" | string;
  }

  /** One entry of `ctx.all(...)`: the task's value, or its error message. Never throws. */
  export type Settled<T = unknown> = { ok: T } | { err: string };

  /** The first task of `ctx.race(...)` to finish; the others are cancelled. */
  export interface RaceWinner<T = unknown> {
    index: number;
    value: T;
  }

  /**
   * The `ctx` of an orchestration: `function* (ctx, input) { const x = yield ctx.scheduleActivity(...) }`.
   * Orchestration code must be deterministic: no clock, randomness or I/O outside what `ctx` gives.
   */
  export class OrchestrationContext {
    readonly instanceId: string;
    readonly executionId: number;
    readonly orchestrationName: string;
    readonly orchestrationVersion: string;

    scheduleActivity<T = any>(name: string, input?: unknown, options?: { sessionId?: string }): ActivityTask<T>;
    scheduleActivityOnSession<T = any>(name: string, input: unknown, sessionId: string): ActivityTask<T>;
    scheduleActivityWithRetry<T = any>(name: string, input: unknown, retry: RetryPolicy): ActivityTask<T>;
    scheduleActivityWithRetryOnSession<T = any>(name: string, input: unknown, retry: RetryPolicy, sessionId: string): ActivityTask<T>;
    /** Resolves to `null` after `delayMs`, durably (survives restarts). */
    scheduleTimer(delayMs: number): DurableTask<null>;
    /** The data of the next event raised with this name. */
    waitForEvent<T = any>(name: string): DurableTask<T>;
    /** The next message of a FIFO queue (survives continue-as-new). */
    dequeueEvent<T = any>(queueName: string): DurableTask<T>;
    getValueFromInstance(instanceId: string, key: string): DurableTask<string | null>;
    scheduleSubOrchestration<T = any>(name: string, input?: unknown): DurableTask<T>;
    scheduleSubOrchestrationWithId<T = any>(name: string, instanceId: string, input?: unknown): DurableTask<T>;
    scheduleSubOrchestrationVersioned<T = any>(name: string, version: string, input?: unknown): DurableTask<T>;
    scheduleSubOrchestrationVersionedWithId<T = any>(name: string, version: string, instanceId: string, input?: unknown): DurableTask<T>;
    /** Fire and forget: starts another instance; the yield gives `null`. */
    startOrchestration(name: string, instanceId: string, input?: unknown): DurableTask<null>;
    startOrchestrationVersioned(name: string, version: string, instanceId: string, input?: unknown): DurableTask<null>;
    /** Epoch milliseconds, the same on every replay. */
    utcNow(): DurableTask<number>;
    /** A 36-character GUID, the same on every replay. */
    newGuid(): DurableTask<string>;
    /** Ends this execution and starts the next with `input` (history starts afresh). */
    continueAsNew(input?: unknown): DurableTask<never>;
    continueAsNewVersioned(input: unknown, version: string): DurableTask<never>;
    /** Every task (nested `all`/`race` allowed), in input order; never throws. */
    all<T = any>(tasks: DurableTask<unknown>[]): DurableTask<Settled<T>[]>;
    /** The first of any number of tasks (nested `all`/`race` allowed) to finish. */
    race<T = any>(...tasks: DurableTask<unknown>[]): DurableTask<RaceWinner<T>>;

    scheduleActivityTyped<T = any>(name: string, input?: unknown, options?: { sessionId?: string }): ActivityTask<T>;
    scheduleActivityOnSessionTyped<T = any>(name: string, input: unknown, sessionId: string): ActivityTask<T>;
    scheduleActivityWithRetryTyped<T = any>(name: string, input: unknown, retry: RetryPolicy): ActivityTask<T>;
    scheduleActivityWithRetryOnSessionTyped<T = any>(name: string, input: unknown, retry: RetryPolicy, sessionId: string): ActivityTask<T>;
    scheduleSubOrchestrationTyped<T = any>(name: string, input?: unknown): DurableTask<T>;
    scheduleSubOrchestrationWithIdTyped<T = any>(name: string, instanceId: string, input?: unknown): DurableTask<T>;
    scheduleSubOrchestrationVersionedTyped<T = any>(name: string, version: string, input?: unknown): DurableTask<T>;
    scheduleSubOrchestrationVersionedWithIdTyped<T = any>(name: string, version: string, instanceId: string, input?: unknown): DurableTask<T>;
    waitForEventTyped<T = any>(name: string): DurableTask<T>;
    dequeueEventTyped<T = any>(queueName: string): DurableTask<T>;
    allTyped<T = any>(tasks: DurableTask<unknown>[]): DurableTask<Settled<T>[]>;
    raceTyped<T = any>(...tasks: DurableTask<unknown>[]): DurableTask<RaceWinner<T>>;
    startOrchestrationTyped(name: string, instanceId: string, input?: unknown): DurableTask<null>;
    startOrchestrationVersionedTyped(name: string, version: string, instanceId: string, input?: unknown): DurableTask<null>;
    continueAsNewTyped(input?: unknown): DurableTask<never>;
    continueAsNewVersionedTyped(input: unknown, version: string): DurableTask<never>;

    setCustomStatus(status: string): void;
    resetCustomStatus(): void;
    getCustomStatus(): string | null;
    setValue(key: string, value: string): void;
    getValue(key: string): string | null;
    clearValue(key: string): void;
    clearAllValues(): void;
    getKvAllValues(): Record<string, string>;
    getKvAllKeys(): string[];
    getKvLength(): number;
    pruneKvValuesUpdatedBefore(cutoffMs: number): number;
    traceInfo(message: string): void;
    traceWarn(message: string): void;
    traceError(message: string): void;
    traceDebug(message: string): void;
  }

  /** The `ctx` of an activity: `async (ctx, input) => ...`. Throw or reject to fail. */
  export class ActivityContext {
    readonly instanceId: string;
    readonly executionId: number;
    readonly orchestrationName: string;
    readonly orchestrationVersion: string;
    readonly activityName: string;
    readonly workerId: string;
    readonly sessionId: string | null;
    /** Aborted when the activity is cancelled or runs past `--activity-timeout`. */
    readonly signal: AbortSignal;
    tag(): string | null;
    isCancelled(): boolean;
    /** A client on the same store. */
    getClient(): Client;
    traceInfo(message: string): void;
    traceWarn(message: string): void;
    traceError(message: string): void;
    traceDebug(message: string): void;
  }

  /** An orchestration: a generator function (not `async`). */
  export type Orchestration<I = any, O = any> = (ctx: OrchestrationContext, input: I) => Generator<DurableTask<unknown>, O, any>;
  /** An activity: an async function. */
  export type Activity<I = any, O = any> = (ctx: ActivityContext, input: I) => Promise<O> | O;

  export type TagFilter = "defaultOnly" | "any" | "none" | { tags: string[] } | { defaultAnd: string[] };

  export interface RuntimeOptions {
    /** 0 = activities only. Default 4. */
    orchestrationConcurrency?: number;
    /** Default 8. */
    workerConcurrency?: number;
    /** Default 100. */
    dispatcherPollIntervalMs?: number;
    /** Default 30000: a crashed worker's activities are retried after it. */
    workerLockTimeoutMs?: number;
    logFormat?: "json" | "pretty" | "compact";
    logLevel?: string;
    serviceName?: string;
    serviceVersion?: string;
    /** Default 10. */
    maxSessionsPerRuntime?: number;
    /** Default 300000. */
    sessionIdleTimeoutMs?: number;
    workerNodeId?: string;
    workerTagFilter?: TagFilter;
  }

  export interface RuntimeMetrics {
    orchStarts: number;
    orchCompletions: number;
    orchFailures: number;
    orchApplicationErrors: number;
    orchInfrastructureErrors: number;
    orchConfigurationErrors: number;
    orchPoison: number;
    activitySuccess: number;
    activityAppErrors: number;
    activityInfraErrors: number;
    activityConfigErrors: number;
    activityPoison: number;
    orchDispatcherItemsFetched: number;
    workerDispatcherItemsFetched: number;
    orchContinueAsNew: number;
    suborchestrationCalls: number;
    providerErrors: number;
  }

  export type Provider = SqliteProvider | PostgresProvider;

  export class SqliteProvider {
    private constructor();
    /**
     * `'sqlite:path'` or a bare path (duroxide's own SQLite store), `'sqlite+sqlx:path'` for duroxide's built-in
     * provider on the same file format; creates parent folders and the file.
     */
    static open(path: string): Promise<SqliteProvider>;
    static inMemory(): Promise<SqliteProvider>;
  }

  export class PostgresProvider {
    private constructor();
    /** Schema `public`. */
    static connect(databaseUrl: string): Promise<PostgresProvider>;
    /** Creates the schema if missing. */
    static connectWithSchema(databaseUrl: string, schema: string): Promise<PostgresProvider>;
    /** Not supported here: rejects with a clear error. */
    static connectWithEntra(...args: unknown[]): Promise<PostgresProvider>;
    /** Not supported here: rejects with a clear error. */
    static connectWithSchemaAndEntra(...args: unknown[]): Promise<PostgresProvider>;
  }

  export class Runtime {
    constructor(provider: Provider, options?: RuntimeOptions);
    registerActivity<I = any, O = any>(name: string, fn: Activity<I, O>): void;
    registerOrchestration<I = any, O = any>(name: string, fn: Orchestration<I, O>): void;
    registerOrchestrationVersioned<I = any, O = any>(name: string, version: string, fn: Orchestration<I, O>): void;
    registerActivityTyped<I = any, O = any>(name: string, fn: Activity<I, O>): void;
    registerOrchestrationTyped<I = any, O = any>(name: string, fn: Orchestration<I, O>): void;
    registerOrchestrationVersionedTyped<I = any, O = any>(name: string, version: string, fn: Orchestration<I, O>): void;
    start(): Promise<void>;
    /** Returns once in-flight work has drained, never later than `timeoutMs`. */
    shutdown(timeoutMs?: number): Promise<void>;
    metricsSnapshot(): RuntimeMetrics | null;
  }

  export type InstanceStatus = "NotFound" | "Running" | "Completed" | "Failed";

  export interface OrchestrationStatus<O = any> {
    status: InstanceStatus;
    /** The parsed return value, when Completed. */
    output?: O;
    error?: string;
    customStatus?: string;
    customStatusVersion: number;
  }

  export interface HistoryEvent {
    eventId: number;
    kind: string;
    sourceEventId?: number;
    timestampMs: number;
    data?: string;
  }

  export class Client {
    constructor(provider: Provider);
    startOrchestration(instanceId: string, orchestrationName: string, input?: unknown): Promise<void>;
    startOrchestrationVersioned(instanceId: string, orchestrationName: string, input: unknown, version: string): Promise<void>;
    getStatus<O = any>(instanceId: string): Promise<OrchestrationStatus<O>>;
    /** Rejects when `timeoutMs` (default 30000) passes first. */
    waitForOrchestration<O = any>(instanceId: string, timeoutMs?: number): Promise<OrchestrationStatus<O>>;
    raiseEvent(instanceId: string, eventName: string, data?: unknown): Promise<void>;
    enqueueEvent(instanceId: string, queueName: string, data?: unknown): Promise<void>;
    /** The instance ends `Failed` with the reason as its error. */
    cancelInstance(instanceId: string, reason?: string): Promise<void>;
    waitForStatusChange<O = any>(instanceId: string, lastSeenVersion: number, pollIntervalMs?: number, timeoutMs?: number): Promise<OrchestrationStatus<O>>;
    getValue(instanceId: string, key: string): Promise<string | null>;
    waitForValue(instanceId: string, key: string, timeoutMs?: number): Promise<string>;
    getKvAllValues(instanceId: string): Promise<Record<string, string>>;
    getSystemMetrics(): Promise<any>;
    getOrchestrationStats(instanceId: string): Promise<any>;
    getQueueDepths(): Promise<any>;
    listAllInstances(): Promise<string[]>;
    listInstancesByStatus(status: string): Promise<string[]>;
    getInstanceInfo(instanceId: string): Promise<any>;
    getExecutionInfo(instanceId: string, executionId: number): Promise<any>;
    listExecutions(instanceId: string): Promise<number[]>;
    readExecutionHistory(instanceId: string, executionId: number): Promise<HistoryEvent[]>;
    getInstanceTree(instanceId: string): Promise<any>;
    deleteInstance(instanceId: string, force?: boolean): Promise<any>;
    deleteInstanceBulk(filter?: object): Promise<any>;
    pruneExecutions(instanceId: string, options?: object): Promise<any>;
    pruneExecutionsBulk(filter?: object, options?: object): Promise<any>;
    startOrchestrationTyped(instanceId: string, orchestrationName: string, input?: unknown): Promise<void>;
    startOrchestrationVersionedTyped(instanceId: string, orchestrationName: string, input: unknown, version: string): Promise<void>;
    raiseEventTyped(instanceId: string, eventName: string, data?: unknown): Promise<void>;
    enqueueEventTyped(instanceId: string, queueName: string, data?: unknown): Promise<void>;
    /** The output; throws when the instance Failed. */
    waitForOrchestrationTyped<O = any>(instanceId: string, timeoutMs?: number): Promise<O>;
  }

  export function initTracing(options: { logFile?: string; logLevel?: string; logFormat?: "json" | "pretty" | "compact" }): void;

  export const MAX_WORKER_TAGS: 5;
  export const MAX_TAG_NAME_BYTES: 256;
  export const MAX_KV_KEYS: 150;
  export const MAX_KV_VALUE_BYTES: 65536;

  /** A workflow module's exports, served by `duroxide run FILE` as a worker. */
  export interface WorkflowModule {
    activities?: Record<string, Activity>;
    /** A generator function, or versions of one: `{ '1.0.0': function* ..., '2.0.0': function* ... }`. */
    orchestrations?: Record<string, Orchestration | Record<string, Orchestration>>;
  }

  const duroxide: {
    SqliteProvider: typeof SqliteProvider;
    PostgresProvider: typeof PostgresProvider;
    Client: typeof Client;
    Runtime: typeof Runtime;
    OrchestrationContext: typeof OrchestrationContext;
    ActivityContext: typeof ActivityContext;
    initTracing: typeof initTracing;
    MAX_WORKER_TAGS: typeof MAX_WORKER_TAGS;
    MAX_TAG_NAME_BYTES: typeof MAX_TAG_NAME_BYTES;
    MAX_KV_KEYS: typeof MAX_KV_KEYS;
    MAX_KV_VALUE_BYTES: typeof MAX_KV_VALUE_BYTES;
  };
  export default duroxide;
}

/** `duroxide test`'s API (also `node:test`): tests run one after another once the file's top level has run. */
declare module "duroxide/test" {
  type Fn = (context: { name: string; fullName: string; skip(): never }) => unknown | Promise<unknown>;
  interface Options { skip?: boolean; only?: boolean }
  interface Declare {
    (name: string, fn?: Fn): void;
    (name: string, options: Options, fn?: Fn): void;
    skip: Declare;
    only: Declare;
    todo: Declare;
  }
  interface DeclareSuite {
    (name: string, fn: () => void): void;
    (name: string, options: Options, fn: () => void): void;
    skip: DeclareSuite;
    only: DeclareSuite;
    todo: DeclareSuite;
  }
  export const test: Declare;
  export const it: Declare;
  export const describe: DeclareSuite;
  export const suite: DeclareSuite;
  export function before(fn: () => unknown): void;
  export function after(fn: () => unknown): void;
  export function beforeEach(fn: Fn): void;
  export function afterEach(fn: Fn): void;
  export default test;
}

/** A workflow module on an in-memory store, for tests (`duroxide test`). */
declare module "duroxide/testing" {
  import type { Client, OrchestrationStatus } from "duroxide";
  export interface InstanceHandle {
    readonly id: string;
    /** The output once it completes; throws its error when it fails. */
    result(timeoutMs?: number): Promise<any>;
    status(): Promise<OrchestrationStatus>;
    raiseEvent(name: string, data?: unknown): Promise<void>;
    enqueue(queue: string, message?: unknown): Promise<void>;
    cancel(reason?: string): Promise<void>;
    history(): Promise<Array<{ eventId: number; kind: string; sourceEventId?: number; timestampMs: number; data?: string }>>;
  }
  /** One instance of a replay: `line` is `ID: ok` or `ID: nondeterministic: history has ... vs code ... at FILE:LINE`. */
  export interface ReplayResult {
    instanceId: string;
    ok: boolean;
    line: string;
  }

  export class TestEnvironment {
    /** `module`: a workflow module's namespace object, or a path from the current folder. `timeSkipping` (default true): while a test awaits `result()`, the next timer fires whenever nothing else can run. */
    static create(options?: { module?: object | string; timeSkipping?: boolean }): Promise<TestEnvironment>;
    /**
     * Replays recorded histories through `module`'s current orchestrations (no activity runs, nothing is
     * written) and throws when the code no longer does what a history recorded, naming the difference and
     * the line. `history`: what `duroxide history ID --json [--all-executions]` prints (parsed, or its text),
     * or a handle's `history()`; a bare event array is execution `executionId` (default 1) of `instanceId` (default "replay").
     */
    static replay(module: object | string, history: unknown, options?: { instanceId?: string; executionId?: number }): Promise<ReplayResult[]>;
    readonly client: Client;
    registerActivity(name: string, fn: (ctx: any, input: any) => Promise<unknown>): void;
    registerOrchestration(name: string, fn: (ctx: any, input: any) => Generator<any, any, any>): void;
    mockActivity(name: string, fn: (ctx: any, input: any) => unknown): void;
    start(name: string, input?: unknown, options?: { id?: string }): Promise<InstanceHandle>;
    /** Moves the virtual clock on by `ms` (timers due by then fire); real sleep without time skipping. */
    sleep(ms: number): Promise<void>;
    /** The clock ctx.utcNow() reads: real time plus what was skipped. */
    now(): number;
    dispose(): Promise<void>;
  }
}
