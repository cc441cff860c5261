import type { Line } from '../runmd/ast';
import type { MirrorConfig, ProxySpec, StepSpec } from '../runmd/config';
import { readFetchOrder } from '../upstream/endpoints/declaration';
import { ENGINE_ID, numberEvents } from './plan';

const ID_WIDTH = 4;
const id = (n: number | undefined): string => (n === undefined ? '' : String(n)).padStart(ID_WIDTH - 1).padEnd(ID_WIDTH);
const blank = ' '.repeat(ID_WIDTH);

/**
 * The compiled engine as a numbered tree: the engine, each event block with
 * its steps (name, input, properties), then the `.proxy` routes with their
 * methods and plugin stacks. The numbers are what `start --id` takes.
 */
export function dumpEngine(config: MirrorConfig): string {
  const { engine } = config;
  const events = numberEvents(config);
  const out: string[] = [`${config.file}`, `${id(ENGINE_ID)}engine ${engine.name}${engine.loop ? '  (.loop: failed .start events restart after a back-off)' : ''}`];
  for (const entry of engine.sequence) out.push(`${blank}  .${entry.once ? 'once ' : 'start'} ${entry.event}`);
  for (const { id: eventId, event, steps } of events) {
    const run = engine.sequence.filter((s) => s.event === event.name);
    const note = run.length === 0 ? '  (not run by the engine)' : run.every((s) => s.once) ? '  (once)' : '';
    out.push(`${id(eventId)}event ${event.name}${note}  ${event.pos.file}:${event.pos.line}`);
    for (const [key, value] of Object.entries(event.controls)) out.push(`${blank}  : ${key} = ${'value' in value ? String(value.value) : '(empty)'}`);
    for (const { id: stepId, step } of steps) {
      out.push(`${id(stepId)}  .${step.name}${step.input ? ` ${step.input}` : ''}`);
      for (const line of step.properties) out.push(`${blank}      ${renderLine(line)}`);
      const order = step.name === 'mirror' ? fetchOrder(config, step) : undefined;
      if (order) out.push(`${blank}      fetch order: ${order}`);
    }
  }
  if (config.proxy) out.push(...dumpProxy(config.proxy));
  return `${out.join('\n')}\n`;
}

/** `tier:5000 → harbor/proxy → registry`: where the registry's content is asked for, in order (only with `.endpoint` lines). */
function fetchOrder(config: MirrorConfig, step: StepSpec): string | undefined {
  const mirror = config.mirrors.find((m) => m.pos === step.pos);
  const order = readFetchOrder(step.properties);
  if (!mirror || order.endpoints.length === 0) return undefined;
  const names = order.endpoints.map((e) => e.name);
  return order.origin ? [...names, `${mirror.host} (the registry)`].join(' → ') : `${names.join(' → ')}  (.origin off: never the registry)`;
}

function dumpProxy(proxy: ProxySpec): string[] {
  const out = [`${blank}proxy ${proxy.address}`];
  for (const line of proxy.settings) out.push(`${blank}  ${renderLine(line)}`);
  for (const route of proxy.routes) {
    out.push(`${blank}  .${route.kind} ${route.methods.join(', ')}`);
    for (const call of route.plugins) out.push(`${blank}      .${call.name}${call.input ? ` ${call.input}` : ''}`);
  }
  return out;
}

/** Headers whose values are credentials (`.header Authorization Basic …` for a registry mirror). */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

function renderLine(line: Line): string {
  const input = line.name === 'header' ? redactHeader(line.input) : line.input;
  if (line.key !== undefined) return `${line.key} .${line.name}${input ? ` ${input}` : ''}`;
  return `.${line.name}${input ? ` ${input}` : ''}`;
}

/** `.header <name> <value>`: the value of a credential header is not printed (dump output lands in terminals and tickets). */
function redactHeader(input: string): string {
  const match = /^(\S+)\s+\S/.exec(input);
  if (!match?.[1] || !SECRET_HEADERS.has(match[1].toLowerCase())) return input;
  return `${match[1]} [redacted]`;
}
