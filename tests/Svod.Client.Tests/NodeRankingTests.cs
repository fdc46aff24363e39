namespace Svod.Client.Tests;

/// <summary>Where an utterance goes: a stable order of the nodes per utterance id.</summary>
public sealed class NodeRankingTests
{
    private static readonly Uri[] Nodes =
        [new("ws://10.0.0.1:5080/v1/stream"), new("ws://10.0.0.2:5080/v1/stream"), new("ws://10.0.0.3:5080/v1/stream")];

    [Fact]
    public void The_order_depends_on_the_id_and_the_urls_not_on_how_they_were_listed()
    {
        Uri[] shuffled = [Nodes[2], Nodes[0], Nodes[1]];
        for (var i = 0; i < 100; i++)
        {
            var id = $"utterance-{i}";
            var order = NodeRanking.Order(id, Nodes);
            Assert.Equal([0, 1, 2], order.Order());
            Assert.Equal(order.Select(n => Nodes[n]), NodeRanking.Order(id, shuffled).Select(n => shuffled[n]));
            Assert.Equal(order, NodeRanking.Order(id, Nodes));
        }
    }

    [Fact]
    public void Utterances_spread_evenly_and_a_node_going_away_moves_only_its_own()
    {
        var ids = Enumerable.Range(0, 3000).Select(i => $"u{i}").ToArray();
        var first = ids.Select(id => NodeRanking.Order(id, Nodes)[0]).ToArray();
        foreach (var count in first.CountBy(n => n))
        {
            Assert.InRange(count.Value, 850, 1150);
        }

        Uri[] without = [Nodes[0], Nodes[2]];
        for (var i = 0; i < ids.Length; i++)
        {
            var now = without[NodeRanking.Order(ids[i], without)[0]];
            if (first[i] != 1)
            {
                Assert.Equal(Nodes[first[i]], now);
            }
        }
    }
}
