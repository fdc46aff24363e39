using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Svod.Benchmarks;

/// <summary>Adds a frames/s column: lanes × 64 frames per operation divided by the mean time.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class PerFrameAttribute : Attribute, IConfigSource
{
    public IConfig Config { get; } = ManualConfig.CreateEmpty().AddColumn(new FramesPerSecondColumn());

    private sealed class FramesPerSecondColumn : IColumn
    {
        public string Id => "FramesPerSecond";

        public string ColumnName => "frames/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Frames decoded per second on one thread (lanes x 64 / mean)";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
            GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } stats)
            {
                return "-";
            }

            var batch = (int)benchmarkCase.Parameters["Batch"];
            var frames = batch * 64.0;
            return (frames / (stats.Mean / 1e9)).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
