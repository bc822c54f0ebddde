/**
 * Grad-CAM (Selvaraju et al. 2017, https://arxiv.org/abs/1610.02391) on a
 * layer inside the model, as Captum's `LayerGradCam(forward_func, layer)`:
 * the gradients of the target output with respect to the layer's output
 * are averaged over the spatial dims (one weight per channel), and the
 * layer's output weighted by them is summed over channels (keepdim). With
 * `reluAttributions: true` (the paper's ReLU; Captum's default is false)
 * only positive evidence is kept. Upsample to the input's size with
 * `LayerAttribution.interpolate`.
 *
 * The layer is an `nn.Module` inside an nn model (a forward hook replaces
 * its output by a leaf tensor whose gradient is read), or a Keras layer
 * inside a Keras model (its `call` is wrapped the same way while the
 * attribution runs). Channels: dim 1 for nn layers and Keras layers with
 * `dataFormat: 'channels_first'`, the last dim for channels-last Keras
 * layers (then the result is [batch, ...spatial, 1]).
 *
 * @example
 * ```ts
 * import { LayerAttribution, LayerGradCam } from '@duet/explain';
 * const cam = new LayerGradCam(model, model.conv2).attribute(x, { target: 7, reluAttributions: true });
 * const heat = LayerAttribution.interpolate(cam, [28, 28], 'bilinear');
 * ```
 */
import { Tensor, scope } from '@duet/core';
import { F, nn } from '@duet/nn';
import * as keras from '@duet/keras';
import { AttributionError } from './errors.js';
import { checkInputs, resolveModel, selectTarget, targetIndices, withFrozen, type AttributionModel, type ResolvedModel, type Target } from './model.js';

export interface LayerGradCamOptions {
  target?: Target;
  /** ReLU on the weighted sum (default false, as Captum). */
  reluAttributions?: boolean;
  /** Sum over channels (default true); false keeps one map per channel. */
  attrDimSummation?: boolean;
}

export class LayerGradCam {
  protected readonly model: ResolvedModel;
  constructor(
    model: AttributionModel,
    readonly layer: nn.Module | keras.Layer,
  ) {
    this.model = resolveModel(model, 'LayerGradCam');
    if (!(layer instanceof nn.Module) && !(layer instanceof keras.Layer)) {
      throw new AttributionError(`LayerGradCam: expected the layer as an nn.Module or a Keras layer inside the model; received ${typeof layer}.`);
    }
  }

  attribute(inputs: Tensor, options: LayerGradCamOptions = {}): Tensor {
    const who = 'LayerGradCam.attribute';
    const x = checkInputs(inputs, who);
    const n = x.shape[0]!;
    const channelsLast = this.layer instanceof keras.Layer && (this.layer as { dataFormat?: string }).dataFormat === 'channels_last';
    return scope(() =>
      withFrozen(this.model, () => {
        const capture = captureLayerOutput(this.layer);
        try {
          const out = this.model.forward(x);
          const act = capture.leaf();
          if (act.ndim < 3) throw new AttributionError(`${who}: Grad-CAM needs a layer with spatial dims ([batch, channels, ...spatial]); the layer's output has shape [${act.shape.join(', ')}].`);
          selectTarget(out, targetIndices(options.target, out.shape, n, who)).sum().backward();
          const g = act.grad;
          if (g === null) throw new AttributionError(`${who}: the model's output does not depend on the layer's output.`);
          const spatial = channelsLast ? range(1, act.ndim - 1) : range(2, act.ndim);
          const channelDim = channelsLast ? act.ndim - 1 : 1;
          const weightsPerChannel = g.mean(spatial, { keepdim: true });
          let cam = weightsPerChannel.mul(act.detach());
          if (options.attrDimSummation !== false) cam = cam.sum(channelDim, { keepdim: true });
          return options.reluAttributions === true ? cam.relu() : cam;
        } finally {
          capture.release();
        }
      }),
    );
  }
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

interface Capture {
  /** The leaf that replaced the layer's output during the forward pass. */
  leaf(): Tensor;
  /** Unhook, and free the leaf and its gradient. */
  release(): void;
}

/** Replace the layer's output by a leaf requiring grad (its gradient is d out / d layer output). */
function captureLayerOutput(layer: nn.Module | keras.Layer): Capture {
  let leaf: Tensor | null = null;
  const swap = (out: unknown): Tensor => {
    if (!(out instanceof Tensor)) throw new AttributionError(`LayerGradCam: the layer must return one Tensor; it returned ${typeof out}.`);
    if (leaf !== null) throw new AttributionError('LayerGradCam: the layer ran more than once in one forward pass; Grad-CAM needs a layer that runs once.');
    leaf = out.detach().requiresGrad_(true);
    return leaf;
  };
  let undo: () => void;
  if (layer instanceof keras.Layer) {
    const own = Object.prototype.hasOwnProperty.call(layer, 'call');
    const original = layer.call;
    Object.defineProperty(layer, 'call', {
      value: (inputs: unknown, opts: Parameters<keras.Layer['call']>[1]) => swap(original.call(layer, inputs, opts)),
      configurable: true,
      writable: true,
    });
    undo = () => {
      if (own) Object.defineProperty(layer, 'call', { value: original, configurable: true, writable: true });
      else delete (layer as unknown as Record<string, unknown>).call;
    };
  } else {
    const handle = layer.registerForwardHook((_m, _args, out) => swap(out));
    undo = () => handle.remove();
  }
  return {
    leaf: () => {
      if (leaf === null) throw new AttributionError("LayerGradCam: the layer did not run during the model's forward pass; pass a layer that is part of the model.");
      return leaf;
    },
    release: () => {
      undo();
      const l = leaf as Tensor | null;
      if (l !== null) {
        l.grad?.dispose();
        l.grad = null;
        l.dispose();
      }
    },
  };
}

/** Captum's `LayerAttribution`: helpers for layer attributions. */
export const LayerAttribution = {
  /**
   * Resize a layer attribution [batch, channels, ...spatial] to `size`
   * (Captum's `LayerAttribution.interpolate(attr, interpolate_dims, interpolate_mode='nearest')`,
   * i.e. `F.interpolate`): 'nearest', 'nearest-exact', 'linear', 'bilinear'.
   */
  interpolate(layerAttribution: Tensor, size: number | number[], mode: F.InterpolateMode = 'nearest'): Tensor {
    return F.interpolate(layerAttribution, { size, mode });
  },
};
