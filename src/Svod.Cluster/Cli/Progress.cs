using System.Diagnostics;

namespace Svod.Cluster.Cli;

/// <summary>A one-line progress display on stderr, redrawn at most five times a second; silent when stderr is not a
/// terminal or when disabled (machine-readable runs).</summary>
internal sealed class Progress(string what, int total, bool enabled)
{
    private readonly bool _enabled = enabled && !Console.IsErrorRedirected;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _drawing = new();
    private long _lastDraw = -1000;
    private int _done;

    public void Advance(long framesSoFar = -1)
    {
        var done = Interlocked.Increment(ref _done);
        if (!_enabled)
        {
            return;
        }

        lock (_drawing)
        {
            var now = _clock.ElapsedMilliseconds;
            if (now - _lastDraw < 200 && done != total)
            {
                return;
            }

            _lastDraw = now;
            var width = 30;
            var filled = total == 0 ? width : (int)((long)done * width / total);
            var frames = framesSoFar >= 0 ? $", {framesSoFar:N0} frames" : "";
            Console.Error.Write(
                $"\r[{new string('#', filled)}{new string('.', width - filled)}] {done}/{total} {what}{frames}  ");
        }
    }

    public void Done()
    {
        if (_enabled)
        {
            Console.Error.WriteLine();
        }
    }
}
