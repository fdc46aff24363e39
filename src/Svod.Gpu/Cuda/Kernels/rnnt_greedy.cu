// Greedy RNN-T (GigaAM layout) for Svod's CUDA backend; compiled at start by NVRTC (see CudaKernels.cs).
//
// Compile-time options (NVRTC):
//   -DSVOD_WEIGHTS_F16 / -DSVOD_WEIGHTS_BF16   weight matrices stored as 16-bit (raw bits in unsigned short),
//                                               accumulated in f32; neither: f32 weights.
//   --fmad=false                                no contraction of a*b+c into FMA: every FMA below is an explicit
//                                               fmaf, so the arithmetic follows ScalarMath's expression order.
// Everything else (layers, H, J, V, max symbols) is a kernel argument, so one compiled module serves any model.
//
// Layouts (row-major, as RnntWeights): W_out [V, J], W_pred [J, H], W_hh [L, 4H, H], W_ih [L-1, 4H, H] (layers >= 1),
// b_ih / b_hh [L-1, 4H] (layers >= 1), input table [V, 4H] (layer 0's input half per token, biases folded in).
// Channel table: h, c [channels, L, H], predictor projection [channels, J], all f32.
// No host headers: only device built-ins.

#if defined(SVOD_WEIGHTS_F16)
typedef unsigned short weight_t;
__device__ __forceinline__ float load_weight(const weight_t* p)
{
    const unsigned short bits = *p;
    float value;
    asm("cvt.f32.f16 %0, %1;" : "=f"(value) : "h"(bits));
    return value;
}
#elif defined(SVOD_WEIGHTS_BF16)
typedef unsigned short weight_t;
__device__ __forceinline__ float load_weight(const weight_t* p)
{
    return __uint_as_float(((unsigned int)*p) << 16);
}
#else
typedef float weight_t;
__device__ __forceinline__ float load_weight(const weight_t* p)
{
    return *p;
}
#endif

// 64-bit element offsets without relying on a header for size_t.
typedef unsigned long long index_t;

#define SVOD_MAX_WARPS 32
#define SVOD_NO_INDEX 0x7fffffff

__device__ __forceinline__ float warp_sum(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        v += __shfl_down_sync(0xffffffffu, v, offset);
    }

    return v; // complete in lane 0 only
}

__device__ __forceinline__ float sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

// y[n] = (W[n, :] . x) + b[n] for n < rows. One warp per output row, the warp's lanes stride the K dimension
// (coalesced weight reads), shuffle reduction. x and y are shared memory; the caller synchronises afterwards.
__device__ __forceinline__ void matvec(
    const weight_t* __restrict__ w, const float* __restrict__ b, const float* x, float* y, int rows, int cols)
{
    const int lane = threadIdx.x & 31;
    const int warps = blockDim.x >> 5;
    for (int n = threadIdx.x >> 5; n < rows; n += warps)
    {
        const weight_t* row = w + (index_t)n * cols;
        float acc = 0.0f;
        for (int k = lane; k < cols; k += 32)
        {
            acc = fmaf(load_weight(row + k), x[k], acc);
        }

        acc = warp_sum(acc);
        if (lane == 0)
        {
            y[n] = acc + b[n];
        }
    }
}

// Index of the largest of v[0..n), the first one on ties (ScalarMath.ArgMax, torch.argmax). Every thread of the
// block calls it and gets the same answer. Ends with a barrier, so v may be overwritten right after.
__device__ __forceinline__ int block_argmax(const float* v, int n, float* red_value, int* red_index, int* answer)
{
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = blockDim.x >> 5;

    // A thread's indices ascend, so strict '>' keeps the first of its equal values; its first element is taken
    // whatever it is (an all -inf row still answers a real index).
    float best = __int_as_float(0xff800000); // -inf
    int best_index = SVOD_NO_INDEX;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
    {
        const float x = v[i];
        if (best_index == SVOD_NO_INDEX || x > best)
        {
            best = x;
            best_index = i;
        }
    }

    // (value desc, index asc) is a total order on non-NaN pairs: the reduction order does not matter.
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        const float other = __shfl_down_sync(0xffffffffu, best, offset);
        const int other_index = __shfl_down_sync(0xffffffffu, best_index, offset);
        if (other > best || (other == best && other_index < best_index))
        {
            best = other;
            best_index = other_index;
        }
    }

    if (lane == 0)
    {
        red_value[warp] = best;
        red_index[warp] = best_index;
    }

    __syncthreads();
    if (warp == 0)
    {
        best = lane < warps ? red_value[lane] : __int_as_float(0xff800000);
        best_index = lane < warps ? red_index[lane] : SVOD_NO_INDEX;
        for (int offset = 16; offset > 0; offset >>= 1)
        {
            const float other = __shfl_down_sync(0xffffffffu, best, offset);
            const int other_index = __shfl_down_sync(0xffffffffu, best_index, offset);
            if (other > best || (other == best && other_index < best_index))
            {
                best = other;
                best_index = other_index;
            }
        }

        if (lane == 0)
        {
            *answer = best_index;
        }
    }

    __syncthreads();
    return *answer;
}

// Resets the listed channels to the state after GigaAM's first predict(None): one block per listed channel.
extern "C" __global__ void rnnt_init_channels(
    const int* __restrict__ channels, int count,
    const float* __restrict__ initial_h, const float* __restrict__ initial_c, const float* __restrict__ initial_pred,
    float* __restrict__ table_h, float* __restrict__ table_c, float* __restrict__ table_pred,
    int state_floats, int joint)
{
    if ((int)blockIdx.x >= count)
    {
        return;
    }

    const index_t channel = (index_t)channels[blockIdx.x];
    for (int i = threadIdx.x; i < state_floats; i += blockDim.x)
    {
        table_h[channel * state_floats + i] = initial_h[i];
        table_c[channel * state_floats + i] = initial_c[i];
    }

    for (int i = threadIdx.x; i < joint; i += blockDim.x)
    {
        table_pred[channel * joint + i] = initial_pred[i];
    }
}

// The whole greedy step loop of one lane per thread block (label looping): joint, argmax, and on a token the LSTM
// step and predictor projection, until the lane's frames are spent. Reads and writes its channel's rows of the
// channel table in place.
//
// lanes:        [gridDim.x, 2] (channel, frames); frames <= 0 is an idle lane (padding of the lane bucket).
// encoder:      [gridDim.x, frame_stride, J] encoder projections W_enc.frame WITHOUT the bias (cuBLAS output).
// output:       [gridDim.x, out_stride]: emitted count, joint evaluations, then one int per token:
//               (frame within the call << 16) | token. out_stride >= 2 + frames * max_symbols.
// Dynamic shared memory: floats h [L*H], c [L*H], pred [J], z [J], logits [V], gates [4H].
extern "C" __global__ void __launch_bounds__(256) rnnt_label_loop(
    const int* __restrict__ lanes,
    const float* __restrict__ encoder, int frame_stride,
    const weight_t* __restrict__ w_out, const float* __restrict__ b_out,
    const float* __restrict__ b_enc,
    const weight_t* __restrict__ w_pred, const float* __restrict__ b_pred,
    const weight_t* __restrict__ w_hh, const weight_t* __restrict__ w_ih,
    const float* __restrict__ b_ih, const float* __restrict__ b_hh,
    const float* __restrict__ input_table,
    float* __restrict__ table_h, float* __restrict__ table_c, float* __restrict__ table_pred,
    int* __restrict__ output, int out_stride,
    int layers, int hidden, int joint, int classes, int max_symbols)
{
    extern __shared__ float smem[];
    __shared__ float red_value[SVOD_MAX_WARPS];
    __shared__ int red_index[SVOD_MAX_WARPS];
    __shared__ int answer;

    const int lane = blockIdx.x;
    const int channel_index = lanes[2 * lane];
    const int frames = lanes[2 * lane + 1];
    int* out = output + (index_t)lane * out_stride;
    if (frames <= 0)
    {
        if (threadIdx.x == 0)
        {
            out[0] = 0;
            out[1] = 0;
        }

        return; // the whole block leaves: no barrier is skipped by part of it
    }

    const int gate_dim = 4 * hidden;
    const int state_floats = layers * hidden;
    const int blank = classes - 1;
    float* s_h = smem;                      // [L*H]
    float* s_c = s_h + state_floats;        // [L*H]
    float* s_pred = s_c + state_floats;     // [J]
    float* s_z = s_pred + joint;            // [J]
    float* s_logits = s_z + joint;          // [V]
    float* s_gates = s_logits + classes;    // [4H]

    const index_t channel = (index_t)channel_index;
    float* row_h = table_h + channel * state_floats;
    float* row_c = table_c + channel * state_floats;
    float* row_pred = table_pred + channel * joint;
    for (int i = threadIdx.x; i < state_floats; i += blockDim.x)
    {
        s_h[i] = row_h[i];
        s_c[i] = row_c[i];
    }

    for (int i = threadIdx.x; i < joint; i += blockDim.x)
    {
        s_pred[i] = row_pred[i];
    }

    __syncthreads();

    const int warp_lane = threadIdx.x & 31;
    const int warps = blockDim.x >> 5;
    // t, symbols, count and evaluations are the same in every thread: they change only on the broadcast token.
    int t = 0;
    int symbols = 0;
    int count = 0;
    int evaluations = 0;
    while (t < frames)
    {
        // Joint input z = ReLU((W_enc.frame + b_enc) + pred).
        const float* enc = encoder + ((index_t)lane * frame_stride + t) * joint;
        for (int j = threadIdx.x; j < joint; j += blockDim.x)
        {
            const float s = (enc[j] + b_enc[j]) + s_pred[j];
            s_z[j] = s > 0.0f ? s : 0.0f;
        }

        __syncthreads();
        matvec(w_out, b_out, s_z, s_logits, classes, joint);
        __syncthreads();
        const int k = block_argmax(s_logits, classes, red_value, red_index, &answer);
        evaluations++;
        if (k == blank)
        {
            t++;
            symbols = 0;
            continue;
        }

        if (threadIdx.x == 0)
        {
            out[2 + count] = (t << 16) | k;
        }

        count++;

        // LSTM step with the token as input; layer l reads the new h of layer l-1 and its own committed h.
        for (int l = 0; l < layers; l++)
        {
            float* h = s_h + l * hidden;
            float* c = s_c + l * hidden;
            const float* below = l > 0 ? s_h + (l - 1) * hidden : s_h; // read only when l > 0
            const weight_t* whh = w_hh + (index_t)l * gate_dim * hidden;
            const weight_t* wih = w_ih + (index_t)(l > 0 ? l - 1 : 0) * gate_dim * hidden;
            for (int n = threadIdx.x >> 5; n < gate_dim; n += warps)
            {
                const weight_t* row_hh = whh + (index_t)n * hidden;
                float acc = 0.0f;
                for (int q = warp_lane; q < hidden; q += 32)
                {
                    acc = fmaf(load_weight(row_hh + q), h[q], acc);
                }

                acc = warp_sum(acc);
                float input = 0.0f;
                if (l > 0) // uniform across the block: every lane of the warp takes the same branch
                {
                    const weight_t* row_ih = wih + (index_t)n * hidden;
                    float acc_in = 0.0f;
                    for (int q = warp_lane; q < hidden; q += 32)
                    {
                        acc_in = fmaf(load_weight(row_ih + q), below[q], acc_in);
                    }

                    acc_in = warp_sum(acc_in);
                    if (warp_lane == 0)
                    {
                        const index_t g = (index_t)(l - 1) * gate_dim + n;
                        input = (acc_in + b_ih[g]) + b_hh[g];
                    }
                }
                else if (warp_lane == 0)
                {
                    input = input_table[(index_t)k * gate_dim + n];
                }

                if (warp_lane == 0)
                {
                    s_gates[n] = acc + input;
                }
            }

            __syncthreads();

            // PyTorch's cell, in CellMath.LstmUpdate's order: c = s(f)*c + s(i)*tanh(g); h = s(o)*tanh(c).
            for (int j = threadIdx.x; j < hidden; j += blockDim.x)
            {
                const float ig = sigmoid(s_gates[j]) * tanhf(s_gates[2 * hidden + j]);
                const float cell = sigmoid(s_gates[hidden + j]) * c[j] + ig;
                c[j] = cell;
                h[j] = sigmoid(s_gates[3 * hidden + j]) * tanhf(cell);
            }

            __syncthreads();
        }

        // The cached predictor projection of the new top h.
        matvec(w_pred, b_pred, s_h + (layers - 1) * hidden, s_pred, joint, hidden);
        __syncthreads();

        if (++symbols == max_symbols)
        {
            t++;
            symbols = 0;
        }
    }

    // Commit the channel's state (unchanged unless a token was emitted).
    if (count > 0)
    {
        for (int i = threadIdx.x; i < state_floats; i += blockDim.x)
        {
            row_h[i] = s_h[i];
            row_c[i] = s_c[i];
        }

        for (int i = threadIdx.x; i < joint; i += blockDim.x)
        {
            row_pred[i] = s_pred[i];
        }
    }

    if (threadIdx.x == 0)
    {
        out[0] = count;
        out[1] = evaluations;
    }
}
