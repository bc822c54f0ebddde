/**
 * Python's `str.format` for checkpoint file names, as Keras's
 * ModelCheckpoint uses it: `'ckpt-{epoch:02d}-{val_loss:.2f}.keras'`.
 * Supports `{name}` and `{name:[[fill]align][sign][0][width][.precision][type]}`
 * with types d, f, e, g, % and s; `{{` and `}}` are literal braces.
 */
import { KerasValueError } from '../errors.js';

const SPEC = /^(?:(.)?([<>^=]))?([+\- ])?(0)?(\d+)?(?:\.(\d+))?([dfeEgGs%])?$/;

function formatOne(value: unknown, spec: string, name: string): string {
  const m = SPEC.exec(spec);
  if (m === null) throw new KerasValueError(`Unsupported format spec '{${name}:${spec}}' in the checkpoint file path.`);
  const [, fill0, align0, sign, zero, width0, precision, type] = m;
  let body: string;
  if (typeof value === 'number') {
    const p = precision === undefined ? undefined : Number(precision);
    const abs = Math.abs(value);
    switch (Number.isFinite(value) || type === 'd' ? type : 'nonfinite') {
      case 'nonfinite':
        // Python writes inf and nan (INF, NAN with E, F, G), whatever the precision.
        body = (Number.isNaN(value) ? 'nan' : 'inf') + (type === '%' ? '%' : '');
        if (type === 'E' || type === 'G') body = body.toUpperCase();
        break;
      case 'd':
        if (!Number.isInteger(value)) throw new KerasValueError(`Format '{${name}:${spec}}' needs an integer; ${name}=${value}.`);
        body = String(abs);
        break;
      case 'f':
        body = abs.toFixed(p ?? 6);
        break;
      case 'e':
      case 'E': {
        const [mant, exp] = abs.toExponential(p ?? 6).split('e');
        const e = Number(exp);
        body = `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
        if (type === 'E') body = body.toUpperCase();
        break;
      }
      case '%':
        body = `${(abs * 100).toFixed(p ?? 6)}%`;
        break;
      case 'g':
      case 'G':
        body = String(Number(abs.toPrecision(p ?? 6)));
        break;
      default:
        body = p === undefined ? (Number.isInteger(abs) && !Number.isInteger(value) ? `${abs}.0` : String(abs)) : String(Number(abs.toPrecision(p)));
    }
    const neg = value < 0 || Object.is(value, -0);
    const signStr = neg ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
    const width = width0 === undefined ? 0 : Number(width0);
    if (zero !== undefined && align0 === undefined) return signStr + body.padStart(width - signStr.length, '0');
    body = signStr + body;
    return pad(body, width, fill0 ?? ' ', align0 ?? '>');
  }
  const s = String(value);
  return pad(precision === undefined ? s : s.slice(0, Number(precision)), width0 === undefined ? 0 : Number(width0), fill0 ?? ' ', align0 ?? '<');
}

function pad(s: string, width: number, fill: string, align: string): string {
  if (s.length >= width) return s;
  const n = width - s.length;
  if (align === '<') return s + fill.repeat(n);
  if (align === '^') return fill.repeat(Math.floor(n / 2)) + s + fill.repeat(n - Math.floor(n / 2));
  return fill.repeat(n) + s;
}

/** `template` with each `{key[:spec]}` replaced by `values[key]`; a missing key is an error naming the known ones. */
/** Python's `f"{value:.{precision}f}"` (`inf`, `-inf` and `nan` as Python writes them), for the callbacks' messages. */
export function formatFixed(value: number, precision: number): string {
  return formatOne(value, `.${precision}f`, 'value');
}

export function formatPath(template: string, values: Record<string, unknown>): string {
  return template.replace(/\{\{|\}\}|\{([^{}:]+)(?::([^{}]*))?\}/g, (all, key: string | undefined, spec: string | undefined) => {
    if (all === '{{') return '{';
    if (all === '}}') return '}';
    if (!(key! in values)) throw new KerasValueError(`Failed to format this callback filepath: "${template}". Reason: missing key '${key}' (available: ${Object.keys(values).join(', ')}).`);
    return formatOne(values[key!], spec ?? '', key!);
  });
}
