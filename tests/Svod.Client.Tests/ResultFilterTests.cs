using FsCheck;
using FsCheck.Fluent;
using Result = Svod.Client.Protocol.Result;

namespace Svod.Client.Tests;

/// <summary>Results never go backwards: what a replayed utterance's node sends again from the beginning is dropped
/// until it is news.</summary>
public sealed class ResultFilterTests
{
    [Fact]
    public void A_replay_is_silent_until_it_passes_what_was_delivered()
    {
        var filter = new ResultFilter();
        Assert.True(filter.Admit(Partial(0, 2)));
        Assert.True(filter.Admit(Partial(0, 4)));
        // the node is lost; its replacement starts over
        Assert.False(filter.Admit(Partial(0, 1)));
        Assert.False(filter.Admit(Partial(0, 3)));
        Assert.False(filter.Admit(Partial(0, 4)));
        Assert.True(filter.Admit(Partial(0, 6)));
        Assert.True(filter.Admit(Final(0, 7)));
        Assert.False(filter.Admit(Final(0, 7)));
        Assert.False(filter.Admit(Partial(0, 8)));
    }

    [Fact]
    public void Each_segment_gets_exactly_one_final_across_replays()
    {
        var filter = new ResultFilter();
        Assert.True(filter.Admit(Final(0, 3)));
        Assert.True(filter.Admit(Partial(1, 2)));
        // replay: segment 0 again, then segment 1 from the start
        Assert.False(filter.Admit(Partial(0, 1)));
        Assert.False(filter.Admit(Final(0, 3)));
        Assert.False(filter.Admit(Partial(1, 1)));
        Assert.True(filter.Admit(Partial(1, 3)));
        Assert.True(filter.Admit(Final(1, 4)));
        Assert.True(filter.Admit(Final(2, 0)));
    }

    [Fact]
    public void A_final_not_delivered_yet_passes_without_new_tokens()
    {
        var filter = new ResultFilter();
        Assert.True(filter.Admit(Partial(0, 5)));
        // cut off before the final; the replay's last partial already had every token
        Assert.False(filter.Admit(Partial(0, 5)));
        Assert.True(filter.Admit(Final(0, 5)));
    }

    [Fact]
    public void Any_replays_with_any_chunking_deliver_monotone_partials_and_the_true_finals()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
            {
                var random = new Random(seed);
                var segments = Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(0, 12)).ToArray();
                var filter = new ResultFilter();
                var delivered = new List<Result>();
                // Each run is what one node sends: partials as tokens arrive (chunking decides how many at once),
                // finals at segment ends; every run but the last is cut off somewhere.
                var runs = random.Next(1, 5);
                for (var run = 0; run < runs; run++)
                {
                    var emitted = Run(segments, random);
                    var cut = run == runs - 1 ? emitted.Count : random.Next(0, emitted.Count + 1);
                    delivered.AddRange(emitted.Take(cut).Where(filter.Admit));
                }

                var finals = delivered.Where(r => r.IsFinal).ToArray();
                Assert.Equal(Enumerable.Range(0, segments.Length).Select(s => (uint)s), finals.Select(f => f.Segment));
                Assert.Equal(segments, finals.Select(f => f.Tokens.Count));
                for (var i = 1; i < delivered.Count; i++)
                {
                    var (before, now) = (delivered[i - 1], delivered[i]);
                    Assert.True(now.Segment > before.Segment ||
                        (now.Segment == before.Segment && !before.IsFinal && now.Tokens.Count >= before.Tokens.Count),
                        $"seed {seed}: {before} then {now}");
                }
            })
            .Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    private static List<Result> Run(int[] segments, Random random)
    {
        var results = new List<Result>();
        for (var segment = 0; segment < segments.Length; segment++)
        {
            for (var tokens = 0; tokens < segments[segment];)
            {
                tokens = Math.Min(segments[segment], tokens + random.Next(1, 4));
                results.Add(Partial(segment, tokens));
            }

            results.Add(Final(segment, segments[segment]));
        }

        return results;
    }

    private static Result Partial(int segment, int tokens) => Make(segment, tokens, isFinal: false);

    private static Result Final(int segment, int tokens) => Make(segment, tokens, isFinal: true);

    private static Result Make(int segment, int tokens, bool isFinal)
    {
        var result = new Result { UtteranceId = "u", Segment = (uint)segment, IsFinal = isFinal };
        result.Tokens.Add(Enumerable.Range(1, tokens));
        return result;
    }
}
