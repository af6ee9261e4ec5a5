"""Fit AR(k), WaveNet and an LSTM on yearly sunspots; one-step test MSE and export."""

import csv
from pathlib import Path

import keras
import matplotlib
import numpy as np
from keras import ops

from applications.learning_guards import Guard
from applications.plots import plot_learning_curves
from kerastoolkit.datasets import sunspots
from kerastoolkit.export import export_saved_model
from kerastoolkit.layers.lstm import LSTM
from kerastoolkit.models.linear_ar import LinearAR
from kerastoolkit.models.wavenet import WaveNet
from kerastoolkit.training.callbacks import default_callbacks

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# The metric the demo suite's index shows for this demo.
HEADLINE = "test_mse_wavenet"

PUBLISHED = {
    "ARIMA one-step test MSE, 35 held-out years (Zhang 2003, series to 1987)": 216.965,
}

# The quick run (16-36 s at load 4-5 on the 2-core machine) gave, with seeds
# 0-4, WaveNet test MSEs 255.5, 267.7, 344.7, 275.2, 255.4 (max 344.7) and
# LSTM 323.2, 312.9, 309.5, 343.0, 323.3 (max 343.0); AR(9) by Yule-Walker
# has no seed, 285.5; persistence ("next year = this year") 952.5, and an
# untrained model, which forecasts the training mean, is worse still. Each
# model must halve persistence's MSE (below 476: 130 above the worst seed).
GUARDS = tuple(
    Guard(metric, below="test_mse_persistence", margin=0.5, relative=True)
    for metric in ("test_mse_ar_aic", "test_mse_wavenet", "test_mse_lstm")
)


@keras.saving.register_keras_serializable(package="applications.sunspots")
def squared_error_of_mean(targets, parameters):
    """`(x_{t+1} - mean_t)^2` at every step, from a Gaussian WaveNet's output.

    Least squares on the mean is maximum likelihood for a Gaussian of
    constant variance, the noise model of AR(k).
    """
    return ops.square(targets[..., 0] - parameters[..., 0])


def build_lstm(units):
    """A small LSTM regressor: at every step, the next value (standardised)."""
    values = keras.Input(shape=(None, 1), name="values")
    hidden = LSTM(units, return_sequences=True, name="lstm")(values)
    return keras.Model(values, keras.layers.Dense(1, name="next")(hidden), name="lstm")


def _windows(series, ends, length):
    """`(inputs, targets, weights)` of the windows whose last target is `t`.

    Window `t` reads `series[t - length : t]` and predicts `series[t - length
    + 1 : t + 1]`, one step ahead at every position; `weights` is 1 at the
    last position only, so a loss weighted by it scores the prediction of
    `series[t]` alone.
    """
    inputs = np.stack([series[t - length : t] for t in ends])[..., None]
    targets = np.stack([series[t - length + 1 : t + 1] for t in ends])[..., None]
    weights = np.zeros(targets.shape[:2], dtype="float32")
    weights[:, -1] = 1.0
    return inputs.astype("float32"), targets.astype("float32"), weights


def _fit(model, train, validation, config, output_dir):
    inputs, targets, _ = train
    return model.fit(
        inputs,
        targets,
        batch_size=config.batch_size,
        epochs=config.epochs,
        validation_data=validation,
        callbacks=default_callbacks(output_dir, patience=config.patience),
        verbose=config.verbose,
    )


def _plot(years, values, test_start, predictions, forecast, path):
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7.5), sharex=True)
    shown = slice(test_start - 60, None)
    for axis in (top, bottom):
        axis.plot(years[shown], values[shown], "k.-", label="observed", lw=1)
        axis.axvline(years[test_start] - 0.5, color="grey", ls=":")
        axis.set_ylabel("sunspot number")
        axis.grid(alpha=0.3)
    for label, predicted in predictions.items():
        top.plot(years[test_start:], predicted, label=label, lw=1.3)
    top.set_title("One-step-ahead forecasts of the 35 test years")
    top.legend(fontsize=8)
    label, mean, lower, upper = forecast
    bottom.plot(years[test_start:], mean, color="C0", label=f"{label} mean")
    bottom.fill_between(
        years[test_start:], lower, upper, color="C0", alpha=0.2, label="95% interval"
    )
    bottom.set_title(
        f"{label}: forecast of all test years from {years[test_start - 1]}"
    )
    bottom.set_xlabel("year")
    bottom.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def train_and_evaluate(config):
    """Fits on the years before the test period, forecasts each test year.

    Every forecast is one step ahead: the value of year `t` from the observed
    values up to `t - 1` (test years included once observed).

    Returns:
        Metrics: the test MSE of each model (and of "next year = this year"),
        the AIC's order, the WaveNet's receptive field, epochs run, the
        coverage of the AR's multi-step 95% interval, and the SavedModel path.
    """
    keras.utils.set_random_seed(config.seed)
    output_dir = Path(config.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    years, values = sunspots.load_data()
    test_start = len(values) - config.test_years
    train = values[:test_start]
    test = values[test_start:]
    test_ends = np.arange(test_start, len(values))

    predictions = {"persistence": values[test_start - 1 : -1]}
    order, criteria = LinearAR.select_order(train, config.max_order, "aic")
    ar_models = {}
    for label, k in ((f"AR({order}), AIC", order), (f"AR({config.fixed_order})", None)):
        k = config.fixed_order if k is None else k
        model = LinearAR(k, dtype="float64", name=f"ar{k}")
        model.fit_yule_walker(train, method=config.yule_walker_method)
        windows = np.stack([values[t - k : t] for t in test_ends])
        predictions[label] = ops.convert_to_numpy(model(windows))
        ar_models[label] = model

    # The neural models read standardised values.
    mean, scale = train.mean(), train.std()
    standard = (values - mean) / scale
    fit_ends = np.arange(config.window, test_start - config.validation_years)
    validation_ends = np.arange(test_start - config.validation_years, test_start)
    fit_windows = _windows(standard, fit_ends, config.window)
    validation_windows = _windows(standard, validation_ends, config.window)
    test_inputs = _windows(standard, test_ends, config.window)[0]

    wavenet = WaveNet(
        dilations=config.wavenet_dilations,
        residual_channels=config.wavenet_channels,
        skip_channels=config.wavenet_channels,
        distribution="gaussian",
        name="wavenet",
    )
    # Built before `fit`, so that an interrupted run's backup (weights and
    # optimizer state) can be restored into it when the run resumes.
    wavenet(fit_windows[0][:1])
    if config.wavenet_loss not in ("squared_error", "nll"):
        raise ValueError(
            "`wavenet_loss` must be 'squared_error' or 'nll', got "
            f"{config.wavenet_loss!r}."
        )
    wavenet.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss=squared_error_of_mean if config.wavenet_loss == "squared_error" else None,
    )
    lstm = build_lstm(config.lstm_units)
    lstm.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss="mse")
    histories = {}
    for label, model in (("WaveNet", wavenet), ("LSTM", lstm)):
        history = _fit(
            model,
            fit_windows,
            validation_windows,
            config,
            output_dir / label.lower(),
        )
        histories[label] = history.history
        outputs = model.predict(test_inputs, verbose=0)[:, -1, :]
        next_value = (
            ops.convert_to_numpy(wavenet.mean(outputs)) if model is wavenet else outputs
        )
        predictions[label] = next_value[:, 0] * scale + mean

    mse = {label: float(np.mean((p - test) ** 2)) for label, p in predictions.items()}
    aic_label = f"AR({order}), AIC"
    forecast = ar_models[aic_label].forecast(train, config.test_years)
    forecast = {name: ops.convert_to_numpy(v) for name, v in forecast.items()}
    inside = (test >= forecast["lower"]) & (test <= forecast["upper"])

    with open(output_dir / "predictions.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["year", "observed", *predictions, "ar_forecast_mean"])
        for i, year in enumerate(years[test_start:]):
            row = [int(year), test[i], *(p[i] for p in predictions.values())]
            writer.writerow([*row, forecast["mean"][i]])
    with open(output_dir / "order_selection.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order", "aic"])
        writer.writerows((k, float(c)) for k, c in enumerate(criteria))
    _plot(
        years,
        values,
        test_start,
        {
            label: predicted
            for label, predicted in predictions.items()
            # The fixed-order AR is drawn once when the AIC chose that order.
            if label != "persistence"
            and not (
                label == f"AR({config.fixed_order})" and order == config.fixed_order
            )
        },
        (aic_label, forecast["mean"], forecast["lower"], forecast["upper"]),
        output_dir / "forecast.png",
    )
    plot_learning_curves(histories, output_dir / "learning_curves.png", ("loss",))

    exported = ar_models[aic_label]
    saved_model = export_saved_model(
        exported,
        config.export_dir,
        endpoints=exported.serving_endpoints(),
        examples={
            # The yearly counts up to the test years, forecast 5 years ahead.
            "forecast": [train[None, -40:].astype(exported.compute_dtype), np.int32(5)]
        },
    )
    return {
        "test_years": f"{int(years[test_start])}-{int(years[-1])}",
        "ar_aic_order": order,
        "test_mse_ar_aic": mse[aic_label],
        "test_mse_ar_fixed_order": mse[f"AR({config.fixed_order})"],
        "test_mse_wavenet": mse["WaveNet"],
        "test_mse_lstm": mse["LSTM"],
        "test_mse_persistence": mse["persistence"],
        "ar_multistep_95_interval_coverage": float(inside.mean()),
        "wavenet_receptive_field": wavenet.receptive_field,
        "wavenet_epochs": len(histories["WaveNet"]["loss"]),
        "lstm_epochs": len(histories["LSTM"]["loss"]),
        "saved_model": str(saved_model),
    }
