/** pytorch/examples word_language_model/model.py: RNNModel (the Transformer variant is not ported). */
import { type Tensor } from '@duet/core';
import { F, nn } from '@duet/nn';

export type RNNType = 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';
export type Hidden = Tensor | [Tensor, Tensor];

/** Container module with an encoder, a recurrent module, and a decoder. */
export class RNNModel extends nn.Module {
  ntoken: number;
  drop: nn.Dropout;
  encoder: nn.Embedding;
  rnn: nn.LSTM | nn.GRU | nn.RNN;
  decoder: nn.Linear;
  rnnType: RNNType;
  nhid: number;
  nlayers: number;

  constructor(rnnType: RNNType, ntoken: number, ninp: number, nhid: number, nlayers: number, dropout = 0.5, tieWeights = false) {
    super();
    this.ntoken = ntoken;
    this.drop = new nn.Dropout(dropout);
    this.encoder = new nn.Embedding(ntoken, ninp);
    if (rnnType === 'LSTM' || rnnType === 'GRU') {
      this.rnn = new nn[rnnType](ninp, nhid, nlayers, { dropout });
    } else {
      const nonlinearity = ({ RNN_TANH: 'tanh', RNN_RELU: 'relu' } as const)[rnnType];
      if (nonlinearity === undefined) {
        throw new Error(`An invalid option for \`--model\` was supplied, options are ['LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU'], received ${String(rnnType)}`);
      }
      this.rnn = new nn.RNN(ninp, nhid, nlayers, { nonlinearity, dropout });
    }
    this.decoder = new nn.Linear(nhid, ntoken);

    // Optionally tie weights as in Press & Wolf 2016 (arXiv:1608.05859) and Inan et al. 2016 (arXiv:1611.01462).
    if (tieWeights) {
      if (nhid !== ninp) throw new Error('When using the tied flag, nhid must be equal to emsize');
      this.decoder.weight = this.encoder.weight;
    }

    this.initWeights();

    this.rnnType = rnnType;
    this.nhid = nhid;
    this.nlayers = nlayers;
  }

  initWeights(): void {
    const initrange = 0.1;
    nn.init.uniform_(this.encoder.weight, -initrange, initrange);
    nn.init.zeros_(this.decoder.bias!);
    nn.init.uniform_(this.decoder.weight, -initrange, initrange);
  }

  forward(input: Tensor, hidden: Hidden): [Tensor, Hidden] {
    const emb = this.drop(this.encoder(input));
    const [output0, hidden1]: [Tensor, Hidden] = this.rnn(emb, hidden);
    const output = this.drop(output0);
    let decoded: Tensor = this.decoder(output);
    decoded = decoded.view([-1, this.ntoken]);
    return [F.logSoftmax(decoded, 1), hidden1];
  }

  initHidden(bsz: number): Hidden {
    const weight = this.parameters()[0]!;
    if (this.rnnType === 'LSTM') {
      return [weight.newZeros([this.nlayers, bsz, this.nhid]), weight.newZeros([this.nlayers, bsz, this.nhid])];
    }
    return weight.newZeros([this.nlayers, bsz, this.nhid]);
  }
}
