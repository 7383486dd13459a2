//! Frames at another rate than the leg's (a codec change mid-call, a PBX
//! that could not give the policy's rate) are resampled in the worker with
//! rubato, never on the media thread.

use rubato::{FastFixedIn, PolynomialDegree, Resampler};

const CHUNK: usize = 160;

pub struct LegResampler {
    inner: FastFixedIn<f32>,
    input: Vec<f32>,
    output: Vec<Vec<f32>>,
    scratch: Vec<i16>,
    ratio: f64,
}

fn to_i16(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

impl LegResampler {
    pub fn new(from: u32, to: u32) -> Option<Self> {
        let ratio = f64::from(to) / f64::from(from);
        let inner = FastFixedIn::new(ratio, 1.0, PolynomialDegree::Cubic, CHUNK, 1).ok()?;
        let output = inner.output_buffer_allocate(true);
        Some(LegResampler {
            inner,
            input: Vec::with_capacity(CHUNK * 2),
            output,
            scratch: Vec::new(),
            ratio,
        })
    }

    /// Feed samples at the source rate; resampled audio goes to `emit`.
    pub fn push(&mut self, samples: &[i16], emit: &mut dyn FnMut(&[i16])) {
        self.input
            .extend(samples.iter().map(|&s| f32::from(s) / 32768.0));
        while self.input.len() >= self.inner.input_frames_next() {
            let need = self.inner.input_frames_next();
            let Ok((used, made)) =
                self.inner
                    .process_into_buffer(&[&self.input[..need]], &mut self.output, None)
            else {
                self.input.clear();
                return;
            };
            self.input.drain(..used);
            self.emit(made, emit);
        }
    }

    /// Push out what is still buffered (at a rate change or the end).
    pub fn flush(&mut self, emit: &mut dyn FnMut(&[i16])) {
        if self.input.is_empty() {
            return;
        }
        let rest = std::mem::take(&mut self.input);
        if let Ok((_, made)) =
            self.inner
                .process_partial_into_buffer(Some(&[&rest[..]]), &mut self.output, None)
        {
            // The tail was zero-padded to a whole chunk: keep only the share
            // that belongs to the real samples.
            let real = (rest.len() as f64 * self.ratio).round() as usize;
            self.emit(made.min(real), emit);
        }
    }

    fn emit(&mut self, made: usize, emit: &mut dyn FnMut(&[i16])) {
        self.scratch.clear();
        self.scratch
            .extend(self.output[0][..made].iter().map(|&x| to_i16(x)));
        emit(&self.scratch);
    }
}
