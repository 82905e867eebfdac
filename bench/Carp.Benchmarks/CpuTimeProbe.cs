using System.Diagnostics;
using System.Globalization;

namespace Carp.Benchmarks;

/// <summary>
/// A cross-check for a loaded machine: runs the main hot paths in a loop and reports, per operation,
/// both wall-clock time (what BenchmarkDotNet measures) and the CPU time the process actually got
/// (<see cref="Environment.CpuUsage"/>). When other processes compete for the cores, wall time per
/// operation grows with the time this process spends descheduled; CPU time per operation does not.
/// Run with <c>-- cpu-time</c>; the BenchmarkDotNet tables remain the reference numbers.
/// </summary>
internal static class CpuTimeProbe
{
    private const int Rounds = 7;
    private static readonly TimeSpan RoundLength = TimeSpan.FromSeconds(1);

    public static void Run()
    {
        var receive = new ReceiveBenchmarks();
        receive.Setup();
        var send = new SendBenchmarks();
        send.Setup();
        try
        {
            Console.WriteLine($"{"Operation",-30} {"wall median",12} {"CPU median",12} {"CPU min",10}   (ns/op, {Rounds} rounds of ~{RoundLength.TotalSeconds:0} s)");
            Measure("Receive.ReceiveFullPath", receive.ReceiveFullPath);
            Measure("Receive.HmacVerify", () => receive.HmacVerify());
            Measure("Receive.DropBadHmac", receive.DropBadHmac);
            Measure("Send.SignAndEncode", send.SignAndEncode);
            Measure("Send.SendTimerPath", send.SendTimerPath);
            Measure("Send.SendTimerPathAdoptedCounter", send.SendTimerPathAdoptedCounter);
        }
        finally
        {
            receive.Cleanup();
            send.Cleanup();
        }
    }

    private static void Measure(string name, Action operation)
    {
        // Calibrate the batch to ~10 ms and warm up (tiering, PGO) for about a second.
        long batch = 1;
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(1))
        {
            var start = stopwatch.Elapsed;
            Loop(operation, batch);
            if (stopwatch.Elapsed - start < TimeSpan.FromMilliseconds(10))
            {
                batch *= 2;
            }
        }

        var wall = new double[Rounds];
        var cpu = new double[Rounds];
        for (var r = 0; r < Rounds; r++)
        {
            long operations = 0;
            var cpuStart = Environment.CpuUsage.TotalTime;
            var wallStart = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(wallStart) < RoundLength)
            {
                Loop(operation, batch);
                operations += batch;
            }

            wall[r] = Stopwatch.GetElapsedTime(wallStart).TotalNanoseconds / operations;
            cpu[r] = (Environment.CpuUsage.TotalTime - cpuStart).TotalNanoseconds / operations;
        }

        Array.Sort(wall);
        Array.Sort(cpu);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-30} {wall[Rounds / 2],12:0.0} {cpu[Rounds / 2],12:0.0} {cpu[0],10:0.0}"));
    }

    private static void Loop(Action operation, long count)
    {
        for (long i = 0; i < count; i++)
        {
            operation();
        }
    }
}
