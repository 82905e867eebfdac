using Carp.Benchmarks;

if (args is ["cpu-time"])
{
    CpuTimeProbe.Run();
    return;
}

BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
