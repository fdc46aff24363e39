using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Svod.Benchmarks.AdvanceDecodingBenchmarks).Assembly).Run(args);
